package org.acme.notifications.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationId;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.Refusal;
import org.acme.notifications.access.SocketIdentity;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Keeps the recent notifications and hands each new one to the sockets it is for ({@link Recipients}, one index
 * per event loop), so that a socket that reconnects with {@code ?since=<id>} first gets what it missed. Handing
 * out, joining and (un)subscribing take the same lock: a joining socket gets each notification it may see exactly
 * once, either in its replay or live, never both and never neither; a subscription starts right after the newest
 * notification this instance had. The lock covers bookkeeping only; every write happens later, on the socket's own
 * event loop, through its {@link SocketOutbox}. The frames are encoded once ({@link TextFrames}).
 *
 * <p>A socket whose {@code since} is ahead of this instance (the history is still loading, this replica lags
 * behind the one the client came from, or names a partition added to the topic that this instance has not been
 * given yet) waits, live for nothing but answered at once, until this instance reaches that id
 * ({@link WaitingSockets}). Kafka is asked where the topic ends right away (a partition the topic does not have is
 * {@code unknown-id} at once) and past {@code notifications.history.catch-up-timeout}: an id beyond the end is in no
 * partition ({@code unknown-id}, then live); otherwise the socket is closed with {@link CloseCode#BEHIND} and may retry with
 * the same id.
 */
@ApplicationScoped
public class NotificationBroadcaster {

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);
    private static final UserData.TypedKey<Subscriber> SUBSCRIBER = new UserData.TypedKey<>("subscriber");

    private final FrameEncoder encoder;
    private final NotificationMetrics metrics;
    private final TopicEnds topicEnds;
    private final long maxReplayBytes;
    private final Duration catchUpTimeout;
    private final int maxChannels;

    // All guarded by this.
    private final RecentNotifications recent;
    private final Map<EventLoop, Recipients> recipientsByLoop = new HashMap<>();
    private final WaitingSockets waiting = new WaitingSockets();
    private volatile boolean streamStarted; // written with the lock held; read without it by the readiness check

    public NotificationBroadcaster(FrameEncoder encoder, NotificationMetrics metrics, TopicEnds topicEnds, NotificationsConfig config) {
        this.encoder = encoder;
        this.metrics = metrics;
        this.topicEnds = topicEnds;
        this.recent = new RecentNotifications(config.history().size(), config.history().maxBytes().asLongValue(),
                config.history().maxAge());
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
        TextFrames frames = encoder.notifications(batch);
        List<RecentNotifications.Entry> entries = FrameEncoder.entries(batch, frames);
        List<Target> targets = batch.stream().map(received -> received.notification().target()).toList();
        Map<String, Integer> handedOut = new HashMap<>();
        synchronized (this) {
            entries.forEach(recent::add);
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
            if (waiting.size() > 0) { // most batches: nobody waits, nothing to look up
                resume(waiting.advanced(batch.stream().map(ReceivedNotification::partition).collect(Collectors.toSet()), recent));
            }
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

    /**
     * The history read from Kafka at start-up, encoded, in arrival order; comes before anything live. Nothing here
     * can fail: the coverage it claims from {@code startsAt} on is the coverage it has.
     */
    synchronized void loadHistory(Map<Integer, Long> startsAt, List<RecentNotifications.Entry> entries) {
        startsAt.forEach(recent::coverFrom);
        entries.forEach(recent::add);
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
        boolean starting = !streamStarted;
        streamStarted = true;
        if (starting) {
            resume(waiting.started(recent));
        }
        resume(waiting.advanced(positions.keySet(), recent));
    }

    /** Whether resumes can be answered: the history is loaded (or given up) and the live stream has started. */
    public boolean streamStarted() {
        return streamStarted;
    }

    /**
     * A socket joins the stream, on its own event loop, as {@code identity}, subscribed to {@code channels}, its frames
     * going through {@code outbox}: it is first sent {@code opening} (the answers to its {@code ?channels=}); with
     * {@code since}, then every kept notification after that position that it may see (preceded by a control frame if
     * some are left out); then it is live.
     */
    public void join(WebSocketConnection connection, SocketOutbox outbox, SocketIdentity identity, Set<String> channels,
                     List<ControlFrame> opening, String since) {
        EventLoop loop = SocketChannels.of(connection).eventLoop();
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Sockets join on their event loop");
        }
        Subscriber subscriber = new Subscriber(identity, outbox, loop);
        subscriber.channels.addAll(channels);
        connection.userData().put(SUBSCRIBER, subscriber);
        opening.forEach(frame -> outbox.answer(encoder.answer(frame)));
        ResumePosition from = since == null ? null : ResumePosition.parse(since);
        Replay replay; // null while it waits
        synchronized (this) {
            if (since == null) {
                goLive(subscriber);
                return;
            }
            if (from != null && mustWait(from)) {
                WaitingSockets.Waiting socket = new WaitingSockets.Waiting(subscriber, connection, from, since);
                socket.deadline = loop.schedule(() -> checkWhereTheTopicEnds(subscriber, true), catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS);
                waiting.add(socket, streamStarted, recent);
                metrics.waitingSockets(waiting.size());
                replay = null;
            } else {
                replay = replayFor(subscriber, from, since);
                goLive(subscriber);
            }
        }
        if (replay != null) {
            outbox.replay(replay.frames(), replay.notifications());
        } else if (streamStarted) {
            checkWhereTheTopicEnds(subscriber, false); // a partition the topic does not have need not wait to be told so
        }
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
        WaitingSockets.Waiting socket = waiting.remove(subscriber);
        if (socket != null) {
            socket.deadline.cancel(false);
            metrics.waitingSockets(waiting.size());
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
     * With the lock held: the answer is queued on the socket's loop behind every batch handed out before, ahead of
     * every later one (a waiting socket's, ahead of its replay), and counts toward the socket's bounds.
     */
    private void answer(Subscriber subscriber, ControlFrame frame) {
        TextFrames answer = encoder.answer(frame);
        subscriber.loop.execute(() -> subscriber.outbox.answer(answer));
    }

    /**
     * Whether a resume must wait: the stream has not started, or it names an id this instance has not received (in a
     * partition it reads, or in one it has not been given yet).
     */
    private boolean mustWait(ResumePosition from) {
        return !streamStarted || recent.isAhead(from);
    }

    /** Makes live the waiting sockets that this instance has now reached, each with its replay; with the lock held. */
    private void resume(List<WaitingSockets.Waiting> reached) {
        for (WaitingSockets.Waiting socket : reached) {
            socket.deadline.cancel(false);
            Replay replay = replayFor(socket.subscriber, socket.from, socket.since);
            goLive(socket.subscriber);
            // Queued before any later batch's task for that loop: the replay is written first.
            socket.subscriber.loop.execute(() -> socket.subscriber.outbox.replay(replay.frames(), replay.notifications()));
        }
        if (!reached.isEmpty()) {
            metrics.waitingSockets(waiting.size());
        }
    }

    /**
     * Asks Kafka where the topic ends, for the subscriber's socket if it still waits then. A partition the topic does
     * not have can never be reached: those ids are forgotten at once ({@link #forgetUnknown}). Once the socket has
     * waited its time ({@code timedOut}), an offset beyond the end of its partition is unknown too (an id just ahead
     * is waited for until then: the client may come from a replica that is further on); otherwise this instance has
     * not got there, and the client may retry ({@link CloseCode#BEHIND}).
     */
    private void checkWhereTheTopicEnds(Subscriber subscriber, boolean timedOut) {
        CompletableFuture<Map<Integer, Long>> topicEnd;
        try {
            topicEnd = topicEnds.ends();
        } catch (RuntimeException e) {
            topicEnd = CompletableFuture.failedFuture(e); // not known: the client may retry
        }
        topicEnd.whenComplete((ends, failure) -> {
            WaitingSockets.Waiting behind;
            synchronized (this) {
                WaitingSockets.Waiting socket = waiting.get(subscriber);
                if (socket == null) {
                    return; // it went live or left meanwhile
                }
                Set<Integer> unknown = failure != null ? Set.of() : socket.from.lastSeen().entrySet().stream()
                        .filter(seen -> !ends.containsKey(seen.getKey()) || (timedOut && seen.getValue() >= ends.get(seen.getKey())))
                        .map(Map.Entry::getKey).collect(Collectors.toSet());
                if (!unknown.isEmpty()) {
                    forgetUnknown(socket, unknown, timedOut);
                    return;
                }
                if (!timedOut) {
                    return; // it may be reached: it waits on
                }
                behind = waiting.remove(subscriber);
                metrics.waitingSockets(waiting.size());
            }
            closeBehind(behind);
        });
    }

    /**
     * With the lock held: tells a waiting socket which ids of its {@code since} are in no partition
     * ({@code unknown-id}), then resumes it from the others as if it had named only those: replayed and live at once
     * when this instance has reached them, else waiting on (or, once its time is up, closed with {@link CloseCode#BEHIND}).
     */
    private void forgetUnknown(WaitingSockets.Waiting socket, Set<Integer> unknownPartitions, boolean timedOut) {
        Subscriber subscriber = socket.subscriber;
        waiting.remove(subscriber);
        Map<Integer, Long> known = new HashMap<>(socket.from.lastSeen());
        known.keySet().removeAll(unknownPartitions);
        ControlFrame told = ControlFrame.unknownId(socket.since, socket.from.lastSeen().entrySet().stream()
                .filter(seen -> unknownPartitions.contains(seen.getKey()))
                .map(seen -> new NotificationId(seen.getKey(), seen.getValue()).toString()).sorted().toList());
        ResumePosition rest = new ResumePosition(Map.copyOf(known));
        if (known.isEmpty() || !mustWait(rest)) {
            socket.deadline.cancel(false);
            metrics.waitingSockets(waiting.size());
            List<ByteBuf> frames = new ArrayList<>(List.of(encoder.control(told)));
            Replay replay = known.isEmpty() ? new Replay(new ByteBuf[0], 0) : replayFor(subscriber, rest, socket.since);
            frames.addAll(List.of(replay.frames()));
            goLive(subscriber);
            ByteBuf[] all = frames.toArray(ByteBuf[]::new);
            subscriber.loop.execute(() -> subscriber.outbox.replay(all, replay.notifications()));
            return;
        }
        answer(subscriber, told);
        if (timedOut) {
            metrics.waitingSockets(waiting.size());
            subscriber.loop.execute(() -> closeBehind(socket)); // behind the answer
            return;
        }
        WaitingSockets.Waiting rested = new WaitingSockets.Waiting(subscriber, socket.connection, rest, socket.since);
        rested.deadline = socket.deadline;
        waiting.add(rested, true, recent);
    }

    private void closeBehind(WaitingSockets.Waiting socket) {
        LOG.debugf("Socket %s: this instance has not reached %s within %s", socket.connection.id(), socket.since, catchUpTimeout);
        CloseCode.BEHIND.close(socket.connection); // the reason names no id: a since of many ids would not fit a close frame
    }

    /** The frames of a resume and how many of them are notifications. */
    private record Replay(ByteBuf[] frames, int notifications) {
    }

    /**
     * The frames a resume from {@code from} gets, control frames included: only what the subscriber may see. With
     * the lock held, and only for a position this instance has reached, or a malformed one (null).
     */
    private Replay replayFor(Subscriber subscriber, ResumePosition from, String since) {
        if (from == null) {
            return new Replay(new ByteBuf[] {encoder.control(ControlFrame.unknownId(since, null))}, 0);
        }
        List<ByteBuf> frames = new ArrayList<>();
        RecentNotifications.Replay replay = recent.after(from, maxReplayBytes, subscriber::receives);
        if (!replay.complete()) {
            frames.add(encoder.control(ControlFrame.historyGap(since, replay.firstId())));
        }
        frames.addAll(replay.frames());
        frames.add(encoder.control(ControlFrame.resumed(since, replay.frames().size())));
        return new Replay(frames.toArray(ByteBuf[]::new), replay.frames().size());
    }

    /** With the lock held. */
    private void goLive(Subscriber subscriber) {
        recipientsByLoop.computeIfAbsent(subscriber.loop, loop -> new Recipients()).add(subscriber);
        subscriber.live = true;
    }

}
