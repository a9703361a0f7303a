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

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Sends each notification to every open socket of this instance, and keeps the recent ones so that
 * a socket that reconnects with {@code ?since=<id>} first gets what it missed. Broadcasting and
 * joining take the same lock: a joining socket gets each notification exactly once, either in its
 * replay or live, never both and never neither. The lock covers bookkeeping only; every write happens
 * later, on the socket's own event loop, through its {@link SocketOutbox}.
 *
 * <p>Sockets are grouped by the event loop that serves them, and each batch of notifications read from
 * Kafka is handed to each loop once, which then hands it to its own sockets: a few tasks per batch
 * instead of one per socket. The frames are encoded once ({@link TextFrames}).
 *
 * <p>A socket whose {@code since} is ahead of this instance (the history is still loading, or this
 * replica lags behind the one the client came from) waits, live for nothing, until this instance reaches
 * that id; past {@code notifications.history.catch-up-timeout} it is closed with {@link #BEHIND} and may
 * retry.
 */
@ApplicationScoped
public class NotificationBroadcaster {

    /** Close code for a socket whose {@code since} this instance did not reach in time; the same id may be retried. */
    public static final int BEHIND = 4009;

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);
    private static final UserData.TypedKey<SocketOutbox> OUTBOX = new UserData.TypedKey<>("outbox");

    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final int maxPendingFrames;
    private final long maxReplayBytes;
    private final Duration catchUpTimeout;

    // All guarded by this.
    private final RecentNotifications recent;
    private final Map<Thread, EventLoop> eventLoops = new HashMap<>();
    private final List<Waiting> waiting = new ArrayList<>();
    private boolean streamStarted;

    public NotificationBroadcaster(ObjectMapper mapper, NotificationMetrics metrics, NotificationsConfig config) {
        this.mapper = mapper;
        this.metrics = metrics;
        this.recent = new RecentNotifications(config.history().size(), config.history().maxAge());
        this.maxPendingFrames = config.socket().maxPendingFrames();
        this.maxReplayBytes = config.history().maxReplay().asLongValue();
        this.catchUpTimeout = config.history().catchUpTimeout();
    }

    /** Encodes each notification once, then hands the batch to every event loop that has live sockets. */
    public void broadcast(List<Positioned> batch) {
        if (batch.isEmpty()) {
            return;
        }
        TextFrames frames = TextFrames.encode(batch.stream().map(positioned -> encode(positioned.notification())).toList());
        synchronized (this) {
            for (int i = 0; i < batch.size(); i++) {
                Positioned positioned = batch.get(i);
                recent.add(new RecentNotifications.Entry(positioned.partition(), positioned.offset(),
                        positioned.notification().timestamp(), frames.frames()[i]));
            }
            for (EventLoop loop : eventLoops.values()) {
                SocketOutbox[] live = loop.outboxes; // who is live now: a later joiner gets these frames in its replay
                if (live.length > 0) {
                    loop.context.runOnContext(ignored -> {
                        for (SocketOutbox outbox : live) {
                            outbox.offer(frames);
                        }
                    });
                }
            }
            resumeWaitingSockets();
        }
        batch.forEach(positioned -> metrics.deliveryLatency(positioned.notification().timestamp()));
    }

    /** A notification and where its record sits in the topic. */
    public record Positioned(Notification notification, int partition, long offset) {
    }

    /** The history read from Kafka at start-up, oldest first; comes before anything live. */
    synchronized void loadHistory(Map<Integer, Long> startsAt, List<Positioned> notifications) {
        startsAt.forEach(recent::coverFrom);
        for (Positioned positioned : notifications) {
            recent.add(new RecentNotifications.Entry(positioned.partition(), positioned.offset(),
                    positioned.notification().timestamp(), TextFrames.encode(encode(positioned.notification()))));
        }
    }

    /**
     * The live consumer starts at these offsets: partitions without a loaded history start there, and
     * from now on every resume is answered by what this instance has and will receive.
     */
    synchronized void streamStartsAt(Map<Integer, Long> positions) {
        positions.forEach((partition, offset) -> {
            if (!recent.knows(partition)) {
                recent.coverFrom(partition, offset);
            }
        });
        streamStarted = true;
        resumeWaitingSockets();
    }

    /** Whether resumes can be answered: the history is loaded (or given up) and the live stream has started. */
    public synchronized boolean streamStarted() {
        return streamStarted;
    }

    /**
     * A socket joins the stream, on its own event loop: with {@code since}, it is first sent every kept
     * notification after that id (preceded by a control frame if some are left out), then it is live.
     */
    public void join(WebSocketConnection connection, String since) {
        Context context = Vertx.currentContext();
        if (context == null || !Context.isOnEventLoopThread()) {
            throw new IllegalStateException("Sockets join on their event loop");
        }
        SocketOutbox outbox = new SocketOutbox(connection, SocketChannels.of(connection), maxPendingFrames, metrics);
        connection.userData().put(OUTBOX, outbox);
        ResumePosition from = since == null ? null : ResumePosition.parse(since);
        ByteBuf[] replay;
        synchronized (this) {
            if (since == null) {
                goLive(outbox, Thread.currentThread(), context);
                return;
            }
            if (from != null && (!streamStarted || (recent.knowsAll(from) && recent.isAhead(from)))) {
                Waiting socket = new Waiting(outbox, connection, context, from, since);
                socket.timer = context.owner().setTimer(catchUpTimeout.toMillis(), ignored -> giveUpWaiting(socket));
                waiting.add(socket);
                return;
            }
            replay = replayFor(from, since);
            goLive(outbox, Thread.currentThread(), context);
        }
        outbox.replay(replay);
    }

    /** A closed socket leaves the stream. */
    public synchronized void leave(WebSocketConnection connection) {
        SocketOutbox outbox = connection.userData().get(OUTBOX);
        if (outbox == null) {
            return;
        }
        eventLoops.values().forEach(loop -> loop.remove(outbox));
        waiting.removeIf(socket -> {
            if (socket.outbox == outbox) {
                socket.context.owner().cancelTimer(socket.timer);
                return true;
            }
            return false;
        });
    }

    /** Makes live every waiting socket whose id this instance has now reached; with the lock held. */
    private void resumeWaitingSockets() {
        if (waiting.isEmpty() || !streamStarted) {
            return;
        }
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting socket = it.next();
            if (recent.knowsAll(socket.from) && recent.isAhead(socket.from)) {
                continue;
            }
            it.remove();
            socket.context.owner().cancelTimer(socket.timer);
            ByteBuf[] replay = replayFor(socket.from, socket.since);
            goLive(socket.outbox, socket.eventLoop, socket.context);
            // Queued before any later batch's task for that loop: the replay is written first.
            socket.context.runOnContext(ignored -> socket.outbox.replay(replay));
        }
    }

    private void giveUpWaiting(Waiting socket) {
        synchronized (this) {
            if (!waiting.remove(socket)) {
                return; // it went live or left meanwhile
            }
        }
        LOG.debugf("Socket %s: this instance has not reached %s within %s", socket.connection.id(), socket.since, catchUpTimeout);
        socket.connection.close(new CloseReason(BEHIND, "not caught up with " + socket.since + " yet: reconnect with the same id"))
                .subscribe().with(ignored -> {
                }, failure -> LOG.debugf("Closing socket %s failed: %s", socket.connection.id(), failure.getMessage()));
    }

    /**
     * The frames a resume from {@code from} gets, control frames included; with the lock held, and only for an
     * id this instance has reached (or one it can never reach: a malformed id or a partition it has no stream of).
     */
    private ByteBuf[] replayFor(ResumePosition from, String since) {
        if (from == null || !recent.knowsAll(from)) {
            return new ByteBuf[] {TextFrames.encode(encode(ControlFrame.unknownId(since)))};
        }
        RecentNotifications.Replay replay = recent.after(from, maxReplayBytes);
        List<ByteBuf> frames = new ArrayList<>(replay.frames().size() + 2);
        if (!replay.complete()) {
            frames.add(TextFrames.encode(encode(ControlFrame.historyGap(since, replay.firstId()))));
        }
        frames.addAll(replay.frames());
        frames.add(TextFrames.encode(encode(ControlFrame.resumed(since, replay.frames().size()))));
        metrics.delivered(replay.frames().size());
        return frames.toArray(ByteBuf[]::new);
    }

    /** Sockets are grouped by their event loop's thread: each socket has a context of its own, its loop has many. */
    private void goLive(SocketOutbox outbox, Thread eventLoop, Context context) {
        eventLoops.computeIfAbsent(eventLoop, thread -> new EventLoop(context)).add(outbox);
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
                    "Not every notification after " + since + " is replayed (no longer kept, or more than one replay holds); "
                            + "the replay starts at the oldest one sent");
        }

        static ControlFrame unknownId(String since) {
            return new ControlFrame("unknown-id", since, null, null,
                    "'" + since + "' is not a notification id of this stream; nothing is replayed");
        }
    }

    /** A socket whose {@code since} this instance has not reached yet. */
    private static final class Waiting {
        final SocketOutbox outbox;
        final WebSocketConnection connection;
        final Context context;
        final Thread eventLoop = Thread.currentThread(); // made on the socket's event loop
        final ResumePosition from;
        final String since;
        long timer;

        Waiting(SocketOutbox outbox, WebSocketConnection connection, Context context, ResumePosition from, String since) {
            this.outbox = outbox;
            this.connection = connection;
            this.context = context;
            this.from = from;
            this.since = since;
        }
    }

    /** The live sockets of one event loop; the array is replaced, never changed, so a broadcast can hand it over as is. */
    private static final class EventLoop {
        final Context context;
        SocketOutbox[] outboxes = new SocketOutbox[0];

        EventLoop(Context context) {
            this.context = context;
        }

        void add(SocketOutbox outbox) {
            SocketOutbox[] more = Arrays.copyOf(outboxes, outboxes.length + 1);
            more[outboxes.length] = outbox;
            outboxes = more;
        }

        void remove(SocketOutbox outbox) {
            outboxes = Arrays.stream(outboxes).filter(other -> other != outbox).toArray(SocketOutbox[]::new);
        }
    }
}
