package org.acme.notifications.delivery;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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
 * that id. Past {@code notifications.history.catch-up-timeout}, Kafka is asked where the topic ends: an
 * id beyond it is in no partition ({@code unknown-id}, then live); otherwise the socket is closed with
 * {@link #BEHIND} and may retry with the same id.
 */
@ApplicationScoped
public class NotificationBroadcaster {

    /** Close code for a socket whose {@code since} this instance did not reach in time; the same id may be retried. */
    public static final int BEHIND = 4009;

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);
    private static final UserData.TypedKey<SocketOutbox> OUTBOX = new UserData.TypedKey<>("outbox");

    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final TopicEnds topicEnds;
    private final int maxPendingFrames;
    private final long maxReplayBytes;
    private final Duration catchUpTimeout;

    // All guarded by this.
    private final RecentNotifications recent;
    private final Map<EventLoop, SocketOutbox[]> liveByLoop = new HashMap<>();
    private final List<Waiting> waiting = new ArrayList<>();
    private volatile boolean streamStarted; // written with the lock held; read without it by the readiness check

    public NotificationBroadcaster(ObjectMapper mapper, NotificationMetrics metrics, TopicEnds topicEnds, NotificationsConfig config) {
        this.mapper = mapper;
        this.metrics = metrics;
        this.topicEnds = topicEnds;
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
            // Who is live now: a later joiner gets these frames in its replay.
            liveByLoop.forEach((loop, live) -> {
                if (live.length > 0) {
                    loop.execute(() -> offerAll(live, frames));
                }
            });
            resumeWaitingSockets();
        }
        batch.forEach(positioned -> metrics.deliveryLatency(positioned.notification().timestamp()));
    }

    /** A notification and where its record sits in the topic. */
    public record Positioned(Notification notification, int partition, long offset) {
    }

    /** The history read from Kafka at start-up, in arrival order; comes before anything live. */
    synchronized void loadHistory(Map<Integer, Long> startsAt, List<Positioned> notifications) {
        startsAt.forEach(recent::coverFrom);
        // One buffer for the whole history, as for a live batch.
        TextFrames frames = TextFrames.encode(notifications.stream().map(positioned -> encode(positioned.notification())).toList());
        for (int i = 0; i < notifications.size(); i++) {
            Positioned positioned = notifications.get(i);
            recent.add(new RecentNotifications.Entry(positioned.partition(), positioned.offset(),
                    positioned.notification().timestamp(), frames.frames()[i]));
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
    public boolean streamStarted() {
        return streamStarted;
    }

    /**
     * A socket joins the stream, on its own event loop: with {@code since}, it is first sent every kept
     * notification after that position (preceded by a control frame if some are left out), then it is live.
     */
    public void join(WebSocketConnection connection, String since) {
        Channel channel = SocketChannels.of(connection);
        EventLoop loop = channel.eventLoop();
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Sockets join on their event loop");
        }
        SocketOutbox outbox = new SocketOutbox(connection, channel, maxPendingFrames, metrics);
        connection.userData().put(OUTBOX, outbox);
        ResumePosition from = since == null ? null : ResumePosition.parse(since);
        Replay replay;
        synchronized (this) {
            if (since == null) {
                goLive(outbox, loop);
                return;
            }
            if (from != null && mustWait(from)) {
                Waiting socket = new Waiting(outbox, connection, loop, from, since);
                socket.deadline = loop.schedule(() -> checkWhereTheTopicEnds(socket), catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS);
                waiting.add(socket);
                metrics.waitingSockets(waiting.size());
                return;
            }
            replay = replayFor(from, since);
            goLive(outbox, loop);
        }
        outbox.replay(replay.frames(), replay.notifications());
    }

    /** A closed socket leaves the stream. */
    public synchronized void leave(WebSocketConnection connection) {
        SocketOutbox outbox = connection.userData().get(OUTBOX);
        if (outbox == null) {
            return;
        }
        liveByLoop.computeIfPresent(SocketChannels.of(connection).eventLoop(),
                (loop, live) -> Arrays.stream(live).filter(other -> other != outbox).toArray(SocketOutbox[]::new));
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting socket = it.next();
            if (socket.outbox == outbox) {
                socket.deadline.cancel(false);
                it.remove();
                metrics.waitingSockets(waiting.size());
            }
        }
    }

    /** Whether a resume must wait: the stream has not started, or it names an id this instance has not received. */
    private boolean mustWait(ResumePosition from) {
        return !streamStarted || (recent.knowsAll(from) && recent.isAhead(from));
    }

    /** Makes live every waiting socket whose position this instance has now reached; with the lock held. */
    private void resumeWaitingSockets() {
        if (waiting.isEmpty()) {
            return;
        }
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting socket = it.next();
            if (mustWait(socket.from)) {
                continue;
            }
            it.remove();
            socket.deadline.cancel(false);
            Replay replay = replayFor(socket.from, socket.since);
            goLive(socket.outbox, socket.loop);
            // Queued before any later batch's task for that loop: the replay is written first.
            socket.loop.execute(() -> socket.outbox.replay(replay.frames(), replay.notifications()));
        }
        metrics.waitingSockets(waiting.size());
    }

    /**
     * The socket waited its time: if its id is beyond the end of the topic, no retry can help ({@code unknown-id},
     * then live); if the id exists and this instance has not got there, the client may retry ({@link #BEHIND}).
     */
    private void checkWhereTheTopicEnds(Waiting socket) {
        CompletableFuture<Map<Integer, Long>> topicEnd;
        try {
            topicEnd = topicEnds.of(socket.from.lastSeen().keySet());
        } catch (RuntimeException e) {
            topicEnd = CompletableFuture.failedFuture(e); // not known: the client may retry
        }
        topicEnd.whenComplete((ends, failure) -> {
            boolean beyondTheTopic = failure == null && socket.from.lastSeen().entrySet().stream()
                    .anyMatch(seen -> seen.getValue() >= ends.getOrDefault(seen.getKey(), 0L));
            synchronized (this) {
                if (!waiting.remove(socket)) {
                    return; // it went live or left meanwhile
                }
                metrics.waitingSockets(waiting.size());
                if (beyondTheTopic) {
                    goLive(socket.outbox, socket.loop);
                    ByteBuf[] unknown = {frameOf(ControlFrame.unknownId(socket.since))};
                    socket.loop.execute(() -> socket.outbox.replay(unknown, 0));
                    return;
                }
            }
            LOG.debugf("Socket %s: this instance has not reached %s within %s", socket.connection.id(), socket.since, catchUpTimeout);
            socket.connection.close(new CloseReason(BEHIND, "not caught up with " + socket.since + " yet: reconnect with the same id"))
                    .subscribe().with(ignored -> {
                    }, closing -> LOG.debugf("Closing socket %s failed: %s", socket.connection.id(), closing.getMessage()));
        });
    }

    /** The frames of a resume and how many of them are notifications. */
    private record Replay(ByteBuf[] frames, int notifications) {
    }

    /**
     * The frames a resume from {@code from} gets, control frames included; with the lock held, and only for a
     * position this instance has reached (or one it can never reach: malformed, or a partition it has no stream of).
     */
    private Replay replayFor(ResumePosition from, String since) {
        if (from == null || !recent.knowsAll(from)) {
            return new Replay(new ByteBuf[] {frameOf(ControlFrame.unknownId(since))}, 0);
        }
        RecentNotifications.Replay replay = recent.after(from, maxReplayBytes);
        List<ByteBuf> frames = new ArrayList<>(replay.frames().size() + 2);
        if (!replay.complete()) {
            frames.add(frameOf(ControlFrame.historyGap(since, replay.firstId())));
        }
        frames.addAll(replay.frames());
        frames.add(frameOf(ControlFrame.resumed(since, replay.frames().size())));
        return new Replay(frames.toArray(ByteBuf[]::new), replay.frames().size());
    }

    /** With the lock held. The loop's array is replaced, never changed, so a broadcast can hand it over as is. */
    private void goLive(SocketOutbox outbox, EventLoop loop) {
        liveByLoop.merge(loop, new SocketOutbox[] {outbox}, (live, added) -> {
            SocketOutbox[] more = Arrays.copyOf(live, live.length + 1);
            more[live.length] = outbox;
            return more;
        });
    }

    /** On the loop: one failing socket does not keep the batch from the others. */
    private static void offerAll(SocketOutbox[] live, TextFrames frames) {
        for (SocketOutbox outbox : live) {
            try {
                outbox.offer(frames);
            } catch (RuntimeException e) {
                LOG.errorf(e, "Could not hand a batch to a socket");
            }
        }
    }

    private ByteBuf frameOf(ControlFrame frame) {
        return TextFrames.encode(encode(frame));
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
        final EventLoop loop;
        final ResumePosition from;
        final String since;
        ScheduledFuture<?> deadline;

        Waiting(SocketOutbox outbox, WebSocketConnection connection, EventLoop loop, ResumePosition from, String since) {
            this.outbox = outbox;
            this.connection = connection;
            this.loop = loop;
            this.from = from;
            this.since = since;
        }
    }
}
