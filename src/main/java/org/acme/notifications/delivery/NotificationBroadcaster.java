package org.acme.notifications.delivery;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends each notification to every open socket of this instance, and keeps the recent ones so that
 * a socket that reconnects with {@code ?since=<id>} first gets what it missed. Broadcasting and
 * joining take the same lock: a joining socket gets each notification exactly once, either in its
 * replay or live, never both and never neither.
 */
@ApplicationScoped
public class NotificationBroadcaster {

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);
    private static final UserData.TypedKey<Boolean> LIVE = UserData.TypedKey.forBoolean("live");
    private static final UserData.TypedKey<AtomicInteger> PENDING = new UserData.TypedKey<>("pending-frames");
    /** Close code for a socket that does not keep up; it may reconnect with ?since= and catch up. */
    public static final int TOO_SLOW = 4008;

    private final OpenConnections connections;
    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final RecentNotifications recent;
    private final int maxPendingFrames;

    public NotificationBroadcaster(OpenConnections connections, ObjectMapper mapper, NotificationMetrics metrics,
                                   NotificationsConfig config) {
        this.connections = connections;
        this.mapper = mapper;
        this.metrics = metrics;
        this.recent = new RecentNotifications(config.history().size(), config.history().maxAge());
        this.maxPendingFrames = config.socket().maxPendingFrames();
    }

    /** Encodes once and writes to each live connection without waiting for any of them. */
    @WithSpan("broadcast")
    public void broadcast(Notification notification, int partition, long offset) {
        String frame = encode(notification);
        synchronized (this) {
            recent.add(new RecentNotifications.Entry(partition, offset, notification.timestamp(), frame));
            for (WebSocketConnection connection : connections) {
                if (Boolean.TRUE.equals(connection.userData().get(LIVE))) {
                    send(connection, frame);
                }
            }
        }
        metrics.broadcast(notification.timestamp());
    }

    /** Keeps a notification loaded from Kafka's history at start-up, without sending it. */
    synchronized void remember(Notification notification, int partition, long offset) {
        recent.add(new RecentNotifications.Entry(partition, offset, notification.timestamp(), encode(notification)));
    }

    /** Where the history of a partition loaded at start-up begins. */
    synchronized void historyStartsAt(int partition, long offset) {
        recent.coverFrom(partition, offset);
    }

    /**
     * A socket joins the stream: with {@code since}, it is first sent every kept notification after
     * that id (preceded by a control frame if some were no longer kept), then it is live.
     */
    public synchronized void join(WebSocketConnection connection, String since) {
        connection.userData().put(PENDING, new AtomicInteger());
        if (since != null) {
            replay(connection, since);
        }
        connection.userData().put(LIVE, true);
    }

    private void replay(WebSocketConnection connection, String since) {
        RecentNotifications.Replay replay = parseId(since);
        if (replay == null) {
            sendControl(connection, ControlFrame.unknownId(since));
            return;
        }
        if (!replay.complete()) {
            sendControl(connection, ControlFrame.historyGap(since, replay.oldestId()));
        }
        // A replay may be longer than the pending-frames limit; the limit applies from the live stream on.
        AtomicInteger pending = connection.userData().get(PENDING);
        replay.frames().forEach(frame -> write(connection, frame, pending));
        sendControl(connection, ControlFrame.resumed(since, replay.frames().size()));
    }

    private RecentNotifications.Replay parseId(String id) {
        int dash = id.indexOf('-');
        try {
            return recent.after(Integer.parseInt(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1)));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    /**
     * Writes without waiting, but counts the writes not yet done: a socket that stops reading is
     * closed rather than left to pile up frames in memory and slow everyone else.
     */
    private void send(WebSocketConnection connection, String frame) {
        AtomicInteger pending = connection.userData().get(PENDING);
        if (pending.get() >= maxPendingFrames) {
            metrics.droppedSlow();
            if (!connection.isClosed() && connection.userData().remove(LIVE) != null) {
                metrics.slowDisconnect();
                LOG.debugf("Closing socket %s: more than %d frames waiting", connection.id(), maxPendingFrames);
                connection.close(new CloseReason(TOO_SLOW, "too slow: reconnect with ?since=<last id>")).subscribe().with(
                        ignored -> {
                        }, failure -> LOG.debugf("Closing socket %s failed: %s", connection.id(), failure.getMessage()));
            }
            return;
        }
        write(connection, frame, pending);
    }

    private void write(WebSocketConnection connection, String frame, AtomicInteger pending) {
        pending.incrementAndGet();
        connection.sendText(frame).subscribe().with(
                ignored -> {
                    pending.decrementAndGet();
                    metrics.delivered();
                },
                failure -> {
                    pending.decrementAndGet();
                    metrics.droppedClosed();
                    LOG.debugf("Could not write to connection %s: %s", connection.id(), failure.getMessage());
                });
    }

    private void sendControl(WebSocketConnection connection, ControlFrame frame) {
        connection.sendText(encode(frame)).subscribe().with(ignored -> {
        }, failure -> LOG.debugf("Could not write to connection %s: %s", connection.id(), failure.getMessage()));
    }

    private String encode(Object frame) {
        try {
            return mapper.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Frames always serialize", e);
        }
    }

    /** Frames about the stream itself: a {@code type}, never a {@code message}. */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ControlFrame(String type, String since, Integer replayed, String oldest, String detail) {

        static ControlFrame resumed(String since, int replayed) {
            return new ControlFrame("resumed", since, replayed, null, null);
        }

        static ControlFrame historyGap(String since, String oldest) {
            return new ControlFrame("history-gap", since, null, oldest,
                    "Some notifications after " + since + " are no longer kept; the replay starts at the oldest one kept");
        }

        static ControlFrame unknownId(String since) {
            return new ControlFrame("unknown-id", since, null, null,
                    "'" + since + "' is not a notification id of this stream; nothing is replayed");
        }
    }
}
