package org.acme.notifications.routing;

import io.netty.channel.EventLoop;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.ChannelRules;
import org.acme.notifications.access.Refusal;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.history.ReceivedNotification;
import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.history.Replays.Replay;
import org.acme.notifications.history.Replays;
import org.acme.notifications.history.ResumePosition;

import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routing: keeps the recent notifications and hands each new one to the subscribers it is for ({@link Recipients},
 * one index per event loop), so that a subscriber that resumes from {@code since} first gets what it missed
 * ({@link Replays}). Handing out, joining and (un)subscribing take the one lock: a joining subscriber gets each
 * notification it may see exactly once, either in its replay or live, never both and never neither; a subscription
 * starts right after the newest notification this instance had. A resume this instance has not reached yet waits
 * ({@link CatchUp}). The lock covers decisions only; every write happens later, on the subscriber's own event loop,
 * through its {@link Outbox}. The frames are encoded once, for every subscriber ({@link FrameEncoder}).
 */
@ApplicationScoped
public class NotificationBroadcaster {

    private final FrameEncoder encoder;
    private final NotificationMetrics metrics;
    private final ChannelRules channelRules;
    private final int maxChannels;

    // All guarded by this.
    private final RecentNotifications recent;
    private final Replays replays;
    private final CatchUp catchUp;
    private final Map<EventLoop, Recipients> recipientsByLoop = new HashMap<>();
    private volatile boolean streamStarted; // written with the lock held; read without it by the readiness check

    @Inject
    NotificationBroadcaster(FrameEncoder encoder, NotificationMetrics metrics, TopicEnds topicEnds, ChannelRules channelRules,
                            NotificationsConfig config) {
        this(encoder, metrics, topicEnds, channelRules, config, Clock.systemUTC());
    }

    /** {@code clock} tells the age of what is kept. */
    NotificationBroadcaster(FrameEncoder encoder, NotificationMetrics metrics, TopicEnds topicEnds, ChannelRules channelRules,
                            NotificationsConfig config, Clock clock) {
        this.encoder = encoder;
        this.metrics = metrics;
        this.channelRules = channelRules;
        this.maxChannels = config.channels().maxPerSocket();
        NotificationsConfig.History history = config.history();
        this.recent = new RecentNotifications(history.size(), history.maxBytes().asLongValue(), history.maxAge(), clock);
        this.replays = new Replays(recent, encoder, history.maxReplay().asLongValue());
        this.catchUp = new CatchUp(this, recent, replays, encoder, topicEnds, history.catchUpTimeout(), metrics, this::streamStarted,
                this::goLive);
    }

    /**
     * Encodes each notification once, then hands the batch to every event loop with subscribers, each its part.
     * {@code receivedAt} ({@link System#nanoTime()}) is when the consumer received it.
     */
    public void broadcast(List<ReceivedNotification> batch, long receivedAt) {
        if (batch.isEmpty()) {
            return;
        }
        TextFrames frames = encoder.notifications(batch.stream().map(ReceivedNotification::notification).toList());
        List<Target> targets = batch.stream().map(received -> received.notification().target()).toList();
        List<RecentNotifications.Entry> entries = RecentNotifications.Entry.of(batch, Arrays.asList(frames.frames()));
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
            BatchTiming timing = new BatchTiming(metrics, handOuts.size(), receivedAt,
                    batch.stream().mapToLong(received -> received.notification().timestamp().toEpochMilli()).toArray());
            handOuts.forEach((loop, handOut) -> loop.execute(() -> {
                try {
                    handOut.run();
                } finally {
                    timing.loopDone();
                }
            }));
            if (catchUp.anyoneWaits()) {
                catchUp.advanced(batch.stream().map(ReceivedNotification::partition).distinct().toList());
            }
        }
        targets.forEach(target -> metrics.routed(target.kind()));
        handedOut.forEach(metrics::handedOut);
    }

    /**
     * The history read from Kafka at start-up, encoded, in arrival order; comes before anything live. Nothing here
     * can fail: the coverage it claims from {@code startsAt} on is the coverage it has.
     */
    public synchronized void loadHistory(Map<Integer, Long> startsAt, List<RecentNotifications.Entry> entries) {
        startsAt.forEach(recent::coverFrom);
        entries.forEach(recent::add);
    }

    /**
     * The live consumer starts at these offsets: partitions without a loaded history start there, and
     * from now on every resume is answered by what this instance has and will receive.
     */
    public synchronized void streamStartsAt(Map<Integer, Long> positions) {
        positions.forEach((partition, offset) -> {
            if (!recent.knows(partition)) {
                recent.coverFrom(partition, offset);
            }
        });
        boolean starting = !streamStarted;
        streamStarted = true;
        if (starting) {
            catchUp.streamStarted();
        }
        catchUp.advanced(positions.keySet());
    }

    /** Whether resumes can be answered: the history is loaded (or given up) and the live stream has started. */
    public boolean streamStarted() {
        return streamStarted;
    }

    /**
     * A subscriber joins the stream, on its own event loop, as {@code identity}, its frames going through
     * {@code outbox}. Of the {@code channels} it asks for, it reads those its identity may ({@link ChannelRules}); it
     * is first sent the answers ({@link OpeningChannels}). With {@code since}, it then gets every kept notification
     * after that position that it may see (preceded by a control frame if some are left out); then it is live.
     * Returns the subscriber, for what it does next.
     */
    public Subscriber join(Outbox outbox, EventLoop loop, SocketIdentity identity, List<String> channels, String since) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Subscribers join on their event loop");
        }
        Subscriber subscriber = new Subscriber(identity, outbox, loop);
        OpeningChannels opening = OpeningChannels.decide(channels, identity, channelRules, maxChannels);
        subscriber.channels.addAll(opening.channels());
        opening.answers().forEach(frame -> outbox.answer(encoder.answer(frame)));
        ResumePosition from = since == null ? null : ResumePosition.parse(since);
        boolean waits;
        synchronized (this) {
            waits = from != null && catchUp.mustWait(from);
            if (waits) {
                catchUp.await(subscriber, from, since);
            } else {
                goLive(subscriber, since == null ? null : replays.from(from, since, subscriber::receives));
            }
        }
        if (waits && streamStarted) {
            catchUp.askWhereTheTopicEnds(subscriber, false); // a partition the topic does not have need not wait to be told so
        }
        return subscriber;
    }

    /** A subscriber that closed leaves the stream. */
    public synchronized void leave(Subscriber subscriber) {
        subscriber.left = true;
        if (subscriber.live) {
            recipientsByLoop.get(subscriber.loop).remove(subscriber);
            subscriber.live = false;
        }
        catchUp.leave(subscriber);
    }

    /**
     * Subscribes to a channel if its identity may read it ({@link ChannelRules}): its notifications come after the
     * newest one this instance has, which the {@code subscribed} frame names (a subscriber still waiting for its
     * {@code since} gets the channel in its replay, as if it had asked at connect). Answered either way, in order
     * with what it is sent: {@code subscribed}, or why not.
     */
    public void subscribe(Subscriber subscriber, String channel) {
        Refusal refusal = channelRules.check(channel, subscriber.identity);
        synchronized (this) {
            if (subscriber.left) {
                return; // closed since: nobody to answer
            }
            if (refusal == null && !subscriber.channels.contains(channel) && subscriber.channels.size() >= maxChannels) {
                refusal = Refusal.tooManyChannels(maxChannels);
            }
            if (refusal != null) {
                subscriber.answer(encoder.answer(ControlFrame.refused(channel, refusal)));
                return;
            }
            if (subscriber.channels.add(channel) && subscriber.live) {
                recipientsByLoop.get(subscriber.loop).subscribe(subscriber, channel);
            }
            subscriber.answer(encoder.answer(ControlFrame.subscribed(channel, subscriber.live ? recent.newestId() : null)));
        }
    }

    /** Unsubscribes from a channel; nothing of it comes after the newest one this instance has. */
    public synchronized void unsubscribe(Subscriber subscriber, String channel) {
        if (subscriber.left) {
            return;
        }
        if (subscriber.channels.remove(channel) && subscriber.live) {
            recipientsByLoop.get(subscriber.loop).unsubscribe(subscriber, channel);
        }
        subscriber.answer(encoder.answer(ControlFrame.unsubscribed(channel, subscriber.live ? recent.newestId() : null)));
    }

    /** Those of {@code users} with a live subscriber on this instance, under one lock: only they are worth telling. */
    public synchronized List<String> withSubscribers(Collection<String> users) {
        return users.stream().filter(user -> recipientsByLoop.values().stream().anyMatch(r -> !r.ofUser(user).isEmpty())).toList();
    }

    /** Hands {@code frame} to every live subscriber of {@code user} here, behind what each was handed before. */
    public synchronized void tellUser(String user, TextFrames frame) {
        recipientsByLoop.values().forEach(recipients -> recipients.ofUser(user).forEach(subscriber -> subscriber.answer(frame)));
    }

    /** As {@link #tellUser}, to one subscriber; one still waiting for its replay gets the newest such frame after it. */
    public synchronized void tell(Subscriber subscriber, TextFrames frame) {
        if (subscriber.live) {
            subscriber.answer(frame);
        } else if (!subscriber.left) {
            subscriber.untilLive = frame;
        }
    }

    /** With the lock held: live from now on, after {@code replay} if it resumes (queued ahead of any later batch). */
    private void goLive(Subscriber subscriber, Replay replay) {
        recipientsByLoop.computeIfAbsent(subscriber.loop, loop -> new Recipients()).add(subscriber);
        subscriber.live = true;
        if (replay != null) {
            subscriber.replay(replay);
        }
        if (subscriber.untilLive != null) {
            subscriber.answer(subscriber.untilLive);
        }
    }
}
