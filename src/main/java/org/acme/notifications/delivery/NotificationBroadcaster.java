package org.acme.notifications.delivery;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends each notification to every open socket of this instance, and keeps the recent ones so that
 * a socket that reconnects with {@code ?since=<id>} first gets what it missed. Broadcasting and
 * joining take the same lock: a joining socket gets each notification exactly once, either in its
 * replay or live, never both and never neither.
 *
 * <p>Sockets are grouped by the event loop that serves them, and each batch of notifications read from
 * Kafka is handed to each loop once, which then writes it to its own sockets: a few tasks per batch
 * instead of one per socket, and every write made on the socket's own thread, in order, without locks.
 * The frames are encoded once and written with {@link FrameWriter}.
 */
@ApplicationScoped
public class NotificationBroadcaster {

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);
    private static final UserData.TypedKey<Subscriber> SUBSCRIBER = new UserData.TypedKey<>("subscriber");
    /** Close code for a socket that does not keep up; it may reconnect with ?since= and catch up. */
    public static final int TOO_SLOW = 4008;

    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final RecentNotifications recent;
    private final int maxPendingFrames;
    private final Map<Thread, EventLoop> eventLoops = new HashMap<>(); // guarded by this

    public NotificationBroadcaster(ObjectMapper mapper, NotificationMetrics metrics, NotificationsConfig config) {
        this.mapper = mapper;
        this.metrics = metrics;
        this.recent = new RecentNotifications(config.history().size(), config.history().maxAge());
        this.maxPendingFrames = config.socket().maxPendingFrames();
    }

    /**
     * Encodes each notification once, then each event loop writes the frames of the batch to its live
     * sockets, socket by socket, with one flush each: one system call per socket per batch.
     */
    public void broadcast(List<Positioned> batch) {
        if (batch.isEmpty()) {
            return;
        }
        String[] texts = batch.stream().map(positioned -> encode(positioned.notification())).toArray(String[]::new);
        ByteBuf[] frames = Arrays.stream(texts).map(FrameWriter::textFrame).toArray(ByteBuf[]::new);
        synchronized (this) {
            for (int i = 0; i < texts.length; i++) {
                Positioned positioned = batch.get(i);
                recent.add(new RecentNotifications.Entry(positioned.partition(), positioned.offset(),
                        positioned.notification().timestamp(), texts[i]));
            }
            for (EventLoop loop : eventLoops.values()) {
                Subscriber[] live = loop.subscribers; // who is live now: a later joiner gets these frames in its replay
                if (live.length > 0) {
                    loop.context.runOnContext(ignored -> {
                        for (Subscriber subscriber : live) {
                            send(subscriber, frames);
                        }
                    });
                }
            }
        }
        batch.forEach(positioned -> metrics.broadcast(positioned.notification().timestamp()));
    }

    /** A notification and where its record sits in the topic. */
    public record Positioned(Notification notification, int partition, long offset) {
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
     * A socket joins the stream, on its own event loop: with {@code since}, it is first sent every kept
     * notification after that id (preceded by a control frame if some were no longer kept), then it is live.
     */
    public synchronized void join(WebSocketConnection connection, String since) {
        if (!Context.isOnEventLoopThread()) {
            throw new IllegalStateException("Sockets join on their event loop");
        }
        Subscriber subscriber = new Subscriber(connection);
        connection.userData().put(SUBSCRIBER, subscriber);
        if (since != null) {
            replay(connection, since);
        }
        eventLoops.computeIfAbsent(Thread.currentThread(), thread -> new EventLoop(Vertx.currentContext()))
                .add(subscriber);
    }

    /** A closed socket leaves the stream. */
    public synchronized void leave(WebSocketConnection connection) {
        Subscriber subscriber = connection.userData().get(SUBSCRIBER);
        if (subscriber != null) {
            eventLoops.values().forEach(loop -> loop.remove(subscriber));
        }
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
        replay.frames().forEach(frame -> sendText(connection, frame));
        metrics.delivered(replay.frames().size());
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
     * Writes without waiting, but a socket whose client stopped reading is closed once too many frames wait
     * for it, rather than left to pile them up in memory (a batch may go over the limit by its own size).
     */
    private void send(Subscriber subscriber, ByteBuf[] frames) {
        WebSocketConnection connection = subscriber.connection;
        if (subscriber.closing || connection.isClosed()) {
            metrics.droppedClosed(frames.length);
            return;
        }
        if (subscriber.writer.unwrittenFrames() >= maxPendingFrames) {
            subscriber.closing = true;
            metrics.droppedSlow(frames.length);
            metrics.slowDisconnect();
            LOG.debugf("Closing socket %s: more than %d frames waiting", connection.id(), maxPendingFrames);
            connection.close(new CloseReason(TOO_SLOW, "too slow: reconnect with ?since=<last id>")).subscribe().with(
                    ignored -> {
                    }, failure -> LOG.debugf("Closing socket %s failed: %s", connection.id(), failure.getMessage()));
            return;
        }
        for (ByteBuf frame : frames) {
            subscriber.writer.write(frame);
        }
        subscriber.writer.flush();
        metrics.delivered(frames.length);
    }

    private void sendControl(WebSocketConnection connection, ControlFrame frame) {
        sendText(connection, encode(frame));
    }

    private void sendText(WebSocketConnection connection, String text) {
        connection.sendText(text).subscribe().with(ignored -> {
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

    /** A live socket; touched only on the socket's event loop. */
    private static final class Subscriber {
        final WebSocketConnection connection;
        final FrameWriter writer;
        boolean closing;

        Subscriber(WebSocketConnection connection) {
            this.connection = connection;
            this.writer = FrameWriter.of(connection);
        }
    }

    /** The live sockets of one event loop; the array is replaced, never changed, so a broadcast can hand it over as is. */
    private static final class EventLoop {
        final Context context;
        Subscriber[] subscribers = new Subscriber[0];

        EventLoop(Context context) {
            this.context = context;
        }

        void add(Subscriber subscriber) {
            Subscriber[] more = Arrays.copyOf(subscribers, subscribers.length + 1);
            more[subscribers.length] = subscriber;
            subscribers = more;
        }

        void remove(Subscriber subscriber) {
            subscribers = Arrays.stream(subscribers).filter(other -> other != subscriber).toArray(Subscriber[]::new);
        }
    }
}
