package org.acme.notifications.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.Refusal;
import org.acme.notifications.access.SocketIdentity;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps the recent notifications and hands each new one to the sockets it is for ({@link Recipients}, one index
 * per event loop), so that a socket that reconnects with {@code ?since=<id>} first gets what it missed. Handing
 * out, joining and (un)subscribing take the same lock: a joining socket gets each notification it may see exactly
 * once, either in its replay or live, never both and never neither; a subscription starts right after the newest
 * notification this instance had. The lock covers bookkeeping only; every write happens later, on the socket's own
 * event loop, through its {@link SocketOutbox}. The frames are encoded once ({@link TextFrames}).
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
    private static final UserData.TypedKey<Subscriber> SUBSCRIBER = new UserData.TypedKey<>("subscriber");

    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final TopicEnds topicEnds;
    private final int maxPendingFrames;
    private final long maxReplayBytes;
    private final Duration catchUpTimeout;
    private final int maxChannels;

    // All guarded by this.
    private final RecentNotifications recent;
    private final Map<EventLoop, Recipients> recipientsByLoop = new HashMap<>();
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
        this.maxChannels = config.channels().maxPerSocket();
    }

    /**
     * Encodes each notification once, then hands the batch to every event loop with sockets, each its part.
     * {@code receivedAt} ({@link System#nanoTime()}) is when the consumer received it.
     */
    public void broadcast(List<ReceivedNotification> batch, long receivedAt) {
        if (batch.isEmpty()) {
            return;
        }
        TextFrames frames = encodeAll(batch);
        List<Target> targets = batch.stream().map(received -> received.notification().target()).toList();
        Map<String, Integer> handedOut = new HashMap<>();
        synchronized (this) {
            remember(batch, frames);
            // Who is live now: a later joiner gets these frames in its replay.
            Map<EventLoop, Runnable> handOuts = new HashMap<>();
            recipientsByLoop.forEach((loop, recipients) -> {
                if (!recipients.isEmpty()) {
                    handOuts.put(loop, recipients.deliver(targets, frames, handedOut));
                }
            });
            LoopsWriting writing = new LoopsWriting(handOuts.size(), receivedAt,
                    batch.stream().mapToLong(received -> received.notification().timestamp().toEpochMilli()).toArray());
            handOuts.forEach((loop, handOut) -> loop.execute(() -> {
                try {
                    handOut.run();
                } finally {
                    writing.loopDone();
                }
            }));
            resumeWaitingSockets();
        }
        targets.forEach(target -> metrics.routed(target.kind()));
        handedOut.forEach(metrics::handedOut);
    }

    /**
     * Times a batch until the last event loop handing it out is done (the metrics' delivery stages). A batch for no
     * socket of this instance counts as written when it is read.
     */
    private final class LoopsWriting {
        private final AtomicInteger loopsLeft;
        private final long receivedAt;
        private final long[] recordTimestamps;

        LoopsWriting(int loops, long receivedAt, long[] recordTimestamps) {
            this.loopsLeft = new AtomicInteger(loops);
            this.receivedAt = receivedAt;
            this.recordTimestamps = recordTimestamps;
            if (loops == 0) {
                written();
            }
        }

        void loopDone() {
            if (loopsLeft.decrementAndGet() == 0) {
                written();
            }
        }

        private void written() {
            metrics.batchWritten(System.nanoTime() - receivedAt, recordTimestamps);
        }
    }

    /** The history read from Kafka at start-up, in arrival order; comes before anything live. */
    synchronized void loadHistory(Map<Integer, Long> startsAt, List<ReceivedNotification> notifications) {
        startsAt.forEach(recent::coverFrom);
        // One buffer for the whole history, as for a live batch.
        remember(notifications, encodeAll(notifications));
    }

    private void remember(List<ReceivedNotification> notifications, TextFrames frames) {
        for (int i = 0; i < notifications.size(); i++) {
            ReceivedNotification received = notifications.get(i);
            recent.add(new RecentNotifications.Entry(received.partition(), received.offset(),
                    received.notification().timestamp(), received.notification().target(), frames.frames()[i]));
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
     * A socket joins the stream, on its own event loop, as {@code identity}, subscribed to {@code channels}: it is
     * first sent {@code opening} (the answers to its {@code ?channels=}); with {@code since}, then every kept
     * notification after that position that it may see (preceded by a control frame if some are left out); then
     * it is live.
     */
    public void join(WebSocketConnection connection, SocketIdentity identity, Set<String> channels,
                     List<ControlFrame> opening, String since) {
        Channel channel = SocketChannels.of(connection);
        EventLoop loop = channel.eventLoop();
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Sockets join on their event loop");
        }
        Subscriber subscriber = new Subscriber(identity, new SocketOutbox(connection, channel, maxPendingFrames, metrics), loop);
        subscriber.channels.addAll(channels);
        connection.userData().put(SUBSCRIBER, subscriber);
        List<ByteBuf> openingFrames = opening.stream().map(this::frameOf).toList();
        ResumePosition from = since == null ? null : ResumePosition.parse(since);
        Replay replay;
        synchronized (this) {
            if (since == null) {
                goLive(subscriber);
                replay = new Replay(openingFrames.toArray(ByteBuf[]::new), 0);
            } else if (from != null && mustWait(from)) {
                Waiting socket = new Waiting(subscriber, connection, new ArrayList<>(openingFrames), from, since);
                socket.deadline = loop.schedule(() -> checkWhereTheTopicEnds(socket), catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS);
                waiting.add(socket);
                metrics.waitingSockets(waiting.size());
                return;
            } else {
                replay = replayFor(subscriber, openingFrames, from, since);
                goLive(subscriber);
            }
        }
        subscriber.outbox.replay(replay.frames(), replay.notifications());
    }

    /** A closed socket leaves the stream. */
    public synchronized void leave(WebSocketConnection connection) {
        Subscriber subscriber = connection.userData().get(SUBSCRIBER);
        if (subscriber == null) {
            return;
        }
        subscriber.left = true;
        if (subscriber.live) {
            recipientsByLoop.get(subscriber.loop).remove(subscriber);
            subscriber.live = false;
        }
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting socket = it.next();
            if (socket.subscriber == subscriber) {
                socket.deadline.cancel(false);
                it.remove();
                metrics.waitingSockets(waiting.size());
            }
        }
    }

    /**
     * Subscribes a socket to a channel its identity may read (checked by the caller): its notifications come after
     * the newest one this instance has, which the {@code subscribed} frame names (a socket still waiting for its
     * {@code since} gets the channel in its replay, as if it had asked at connect). Null, or why not.
     */
    public Refusal subscribe(WebSocketConnection connection, String channel) {
        Subscriber subscriber = connection.userData().get(SUBSCRIBER);
        synchronized (this) {
            if (subscriber == null || subscriber.left) {
                return null; // closed before it joined, or since: nobody to answer
            }
            if (!subscriber.channels.contains(channel)) {
                if (subscriber.channels.size() >= maxChannels) {
                    return Refusal.tooManyChannels(maxChannels);
                }
                subscriber.channels.add(channel);
                if (subscriber.live) {
                    recipientsByLoop.get(subscriber.loop).subscribe(subscriber, channel);
                }
            }
            answer(subscriber, subscriber.live ? ControlFrame.subscribed(channel, recent.newestId()) : ControlFrame.subscribed(channel, null));
        }
        return null;
    }

    /** Unsubscribes a socket from a channel; nothing of it comes after the newest one this instance has. */
    public void unsubscribe(WebSocketConnection connection, String channel) {
        Subscriber subscriber = connection.userData().get(SUBSCRIBER);
        synchronized (this) {
            if (subscriber == null || subscriber.left) {
                return;
            }
            if (subscriber.channels.remove(channel) && subscriber.live) {
                recipientsByLoop.get(subscriber.loop).unsubscribe(subscriber, channel);
            }
            answer(subscriber, subscriber.live ? ControlFrame.unsubscribed(channel, recent.newestId()) : ControlFrame.unsubscribed(channel, null));
        }
    }

    /**
     * With the lock held: a live socket's answer is queued on its loop behind every batch handed out before, ahead
     * of every later one; a waiting socket's goes out with its replay, before it.
     */
    private void answer(Subscriber subscriber, ControlFrame frame) {
        if (!subscriber.live) {
            waiting.stream().filter(socket -> socket.subscriber == subscriber).forEach(socket -> socket.opening.add(frameOf(frame)));
            return;
        }
        TextFrames answer = TextFrames.encodeAnswer(encode(frame));
        subscriber.loop.execute(() -> subscriber.outbox.offer(answer));
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
            Replay replay = replayFor(socket.subscriber, socket.opening, socket.from, socket.since);
            goLive(socket.subscriber);
            // Queued before any later batch's task for that loop: the replay is written first.
            socket.subscriber.loop.execute(() -> socket.subscriber.outbox.replay(replay.frames(), replay.notifications()));
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
                    goLive(socket.subscriber);
                    List<ByteBuf> frames = new ArrayList<>(socket.opening);
                    frames.add(frameOf(ControlFrame.unknownId(socket.since)));
                    ByteBuf[] unknown = frames.toArray(ByteBuf[]::new);
                    socket.subscriber.loop.execute(() -> socket.subscriber.outbox.replay(unknown, 0));
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
     * The frames a resume from {@code from} gets, after {@code opening}, control frames included: only what the
     * subscriber may see. With the lock held, and only for a position this instance has reached (or one it can
     * never reach: malformed, or a partition it has no stream of).
     */
    private Replay replayFor(Subscriber subscriber, List<ByteBuf> opening, ResumePosition from, String since) {
        List<ByteBuf> frames = new ArrayList<>(opening);
        if (from == null || !recent.knowsAll(from)) {
            frames.add(frameOf(ControlFrame.unknownId(since)));
            return new Replay(frames.toArray(ByteBuf[]::new), 0);
        }
        RecentNotifications.Replay replay = recent.after(from, maxReplayBytes, subscriber::receives);
        if (!replay.complete()) {
            frames.add(frameOf(ControlFrame.historyGap(since, replay.firstId())));
        }
        frames.addAll(replay.frames());
        frames.add(frameOf(ControlFrame.resumed(since, replay.frames().size())));
        return new Replay(frames.toArray(ByteBuf[]::new), replay.frames().size());
    }

    /** With the lock held. */
    private void goLive(Subscriber subscriber) {
        recipientsByLoop.computeIfAbsent(subscriber.loop, loop -> new Recipients()).add(subscriber);
        subscriber.live = true;
    }

    private TextFrames encodeAll(List<ReceivedNotification> notifications) {
        return TextFrames.encode(notifications.stream().map(received -> encode(received.notification())).toList());
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

    /** A socket whose {@code since} this instance has not reached yet. */
    private static final class Waiting {
        final Subscriber subscriber;
        final WebSocketConnection connection;
        final List<ByteBuf> opening; // the answers to its ?channels= and to what it asked since
        final ResumePosition from;
        final String since;
        ScheduledFuture<?> deadline;

        Waiting(Subscriber subscriber, WebSocketConnection connection, List<ByteBuf> opening, ResumePosition from, String since) {
            this.subscriber = subscriber;
            this.connection = connection;
            this.opening = opening;
            this.from = from;
            this.since = since;
        }
    }
}
