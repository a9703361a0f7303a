package org.acme.notifications.routing;

import org.acme.notifications.NotificationId;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.history.Replays.Replay;
import org.acme.notifications.history.Replays;
import org.acme.notifications.history.ResumePosition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The subscribers whose {@code since} is ahead of this instance (the history is still loading, this replica lags
 * behind the one the client came from, or the id names a partition added to the topic that this instance has not
 * been given yet). Each waits, live for nothing but answered at once, until this instance reaches its id
 * ({@link WaitingSockets}). Kafka is asked where the topic ends right away (a partition the topic does not have is
 * {@code unknown-id} at once) and past {@code notifications.history.catch-up-timeout}: an id beyond the end is in no
 * partition ({@code unknown-id}, then live from the others); otherwise the subscriber is closed with
 * {@link CloseCode#BEHIND} and may retry with the same id.
 *
 * <p>Everything here runs with the broadcaster's lock held, except {@link #askWhereTheTopicEnds}: it asks without
 * the lock, and takes it when Kafka answers.
 */
final class CatchUp {

    /** How a subscriber that waited goes live, with the lock held: its replay first, then every later batch. */
    interface GoLive {
        void goLive(Subscriber subscriber, Replay replay);
    }

    private static final Logger LOG = Logger.getLogger(CatchUp.class);

    private final Object lock;
    private final RecentNotifications recent;
    private final Replays replays;
    private final FrameEncoder encoder;
    private final TopicEnds topicEnds;
    private final Duration timeout;
    private final NotificationMetrics metrics;
    private final BooleanSupplier started; // whether the live stream has started
    private final GoLive goLive;
    private final WaitingSockets waiting = new WaitingSockets(); // guarded by lock

    CatchUp(Object lock, RecentNotifications recent, Replays replays, FrameEncoder encoder, TopicEnds topicEnds,
            Duration timeout, NotificationMetrics metrics, BooleanSupplier started, GoLive goLive) {
        this.lock = lock;
        this.recent = recent;
        this.replays = replays;
        this.encoder = encoder;
        this.topicEnds = topicEnds;
        this.timeout = timeout;
        this.metrics = metrics;
        this.started = started;
        this.goLive = goLive;
    }

    /**
     * Whether a resume must wait: the stream has not started, or it names an id this instance has not received (in a
     * partition it reads, or in one it has not been given yet).
     */
    boolean mustWait(ResumePosition from) {
        return !started.getAsBoolean() || recent.isAhead(from);
    }

    /** The subscriber waits from now on, for at most the catch-up timeout; a resume that {@link #mustWait} only. */
    void await(Subscriber subscriber, ResumePosition from, String since) {
        WaitingSockets.Waiting socket = new WaitingSockets.Waiting(subscriber, from, since);
        socket.deadline = subscriber.loop.schedule(() -> askWhereTheTopicEnds(subscriber, true), timeout.toMillis(), TimeUnit.MILLISECONDS);
        waiting.add(socket, started.getAsBoolean(), recent);
        metrics.waitingSockets(waiting.size());
    }

    /** The stream started: every waiting subscriber it reaches goes live. */
    void streamStarted() {
        release(waiting.started(recent));
    }

    /** These partitions moved on: every waiting subscriber they reach goes live. */
    void advanced(Collection<Integer> partitions) {
        release(waiting.advanced(partitions, recent));
    }

    /** Whether anyone waits: most batches find nobody, and need not look. */
    boolean anyoneWaits() {
        return waiting.size() > 0;
    }

    /** The subscriber left; it waits no more. */
    void leave(Subscriber subscriber) {
        WaitingSockets.Waiting socket = waiting.remove(subscriber);
        if (socket != null) {
            socket.deadline.cancel(false);
            metrics.waitingSockets(waiting.size());
        }
    }

    /**
     * Without the lock: asks Kafka where the topic ends, for the subscriber if it still waits then. A partition the
     * topic does not have can never be reached: those ids are forgotten at once ({@link #forgetUnknown}). Once the
     * subscriber has waited its time ({@code timedOut}), an offset beyond the end of its partition is unknown too (an
     * id just ahead is waited for until then: the client may come from a replica that is further on); otherwise this
     * instance has not got there, and the client may retry ({@link CloseCode#BEHIND}).
     */
    void askWhereTheTopicEnds(Subscriber subscriber, boolean timedOut) {
        CompletableFuture<Map<Integer, Long>> topicEnd;
        try {
            topicEnd = topicEnds.ends();
        } catch (RuntimeException e) {
            topicEnd = CompletableFuture.failedFuture(e); // not known: the client may retry
        }
        topicEnd.whenComplete((ends, failure) -> {
            synchronized (lock) {
                WaitingSockets.Waiting socket = waiting.get(subscriber);
                if (socket == null) {
                    return; // it went live or left meanwhile
                }
                Set<Integer> unknown = failure != null ? Set.of() : socket.from.lastSeen().entrySet().stream()
                        .filter(seen -> !ends.containsKey(seen.getKey()) || (timedOut && seen.getValue() >= ends.get(seen.getKey())))
                        .map(Map.Entry::getKey).collect(Collectors.toSet());
                if (!unknown.isEmpty()) {
                    forgetUnknown(socket, unknown, timedOut);
                } else if (timedOut) {
                    waiting.remove(subscriber);
                    metrics.waitingSockets(waiting.size());
                    closeBehind(socket);
                }
                // else it may be reached: it waits on
            }
        });
    }

    /**
     * Tells a waiting subscriber which ids of its {@code since} are in no partition ({@code unknown-id}), then resumes
     * it from the others as if it had named only those: replayed and live at once when this instance has reached
     * them, else waiting on (or, once its time is up, closed with {@link CloseCode#BEHIND}).
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
            Replay replay = known.isEmpty() ? Replay.of(encoder.control(told))
                    : replays.from(rest, socket.since, subscriber::receives).behind(encoder.control(told));
            goLive.goLive(subscriber, replay);
            return;
        }
        subscriber.answer(encoder.answer(told));
        if (timedOut) {
            metrics.waitingSockets(waiting.size());
            closeBehind(socket);
            return;
        }
        WaitingSockets.Waiting rested = new WaitingSockets.Waiting(subscriber, rest, socket.since);
        rested.deadline = socket.deadline;
        waiting.add(rested, started.getAsBoolean(), recent);
    }

    /** Behind every answer the subscriber was sent; the reason names no id: a since of many would not fit a close frame. */
    private void closeBehind(WaitingSockets.Waiting socket) {
        LOG.debugf("Socket %s: this instance has not reached %s within %s", socket.subscriber.outbox.id(), socket.since, timeout);
        socket.subscriber.close(CloseCode.BEHIND);
    }

    /** Makes live the waiting subscribers that this instance has now reached, each with its replay. */
    private void release(List<WaitingSockets.Waiting> reached) {
        for (WaitingSockets.Waiting socket : reached) {
            socket.deadline.cancel(false);
            goLive.goLive(socket.subscriber, replays.from(socket.from, socket.since, socket.subscriber::receives));
        }
        if (!reached.isEmpty()) {
            metrics.waitingSockets(waiting.size());
        }
    }
}
