package org.acme.notifications.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.ChannelRules;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.history.ReceivedNotification;
import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.testsupport.Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Routing on its own: no broker, no Quarkus, no socket. Each subscriber's event loop is an {@link EmbeddedChannel}'s,
 * which runs its tasks only when told ({@link #run()}) and whose time moves only when told ({@link #advance}); the
 * transport is a {@link RecordingOutbox}; Kafka's answer to where the topic ends is set by each test; the age of what
 * is kept is told by a clock the test moves.
 */
class NotificationBroadcasterTest {

    private static final Duration CATCH_UP = Duration.ofSeconds(15);
    private static final SocketIdentity ANONYMOUS = SocketIdentity.ANONYMOUS;

    private static final NotificationsConfig CONFIG = Settings.of("notifications.history.catch-up-timeout", CATCH_UP.toSeconds() + "s",
            "notifications.history.max-age", "1h", "notifications.channels.public", "news,ops");

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-02T06:00:00Z"));
    private final SetTopicEnds topicEnds = new SetTopicEnds();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final FrameEncoder encoder = new FrameEncoder(new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)); // as Quarkus configures it
    private final NotificationBroadcaster broadcaster = new NotificationBroadcaster(encoder, new NotificationMetrics(meters, null),
            topicEnds, new ChannelRules(CONFIG), CONFIG, clock);
    private final List<EmbeddedChannel> loops = new ArrayList<>();
    private final Map<RecordingOutbox, Subscriber> subscribers = new HashMap<>();
    private final Map<Integer, Long> next = new HashMap<>(); // per partition, the offset the next record gets

    @AfterEach
    void closeLoops() {
        loops.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void aResumeGetsWhatItMissedOnceThenWhatComesLive() {
        startAt(0);
        publish(0, Target.EVERYONE, Target.EVERYONE, Target.EVERYONE);
        RecordingOutbox alice = join(loop(), ANONYMOUS, List.of(), "0-0");
        publish(0, Target.EVERYONE); // handed out before the replay is written: it must still come after it
        run();

        assertEquals(List.of("0-1", "0-2", "resumed 2", "0-3"), alice.received);
    }

    @Test
    void aSubscriberThatWaitsIsHandedNothingLiveAndResumesOnceThisInstanceReachesItsId() {
        startAt(0);
        publish(0, Target.EVERYONE);
        topicEnds.answer(Map.of(0, 100L)); // its id is in the topic, just not here yet
        RecordingOutbox bob = join(loop(), ANONYMOUS, List.of(), "0-2");
        publish(0, Target.EVERYONE);
        run();
        assertEquals(List.of(), bob.received);

        publish(0, Target.EVERYONE, Target.EVERYONE); // 0-2, its id, and 0-3 in the same batch
        publish(0, Target.EVERYONE);
        run();

        assertEquals(List.of("0-3", "resumed 1", "0-4"), bob.received);
    }

    @Test
    void aSubscriberThatJoinedBeforeTheStreamStartedResumesFromTheLoadedHistoryAtTheStart() {
        RecordingOutbox bob = join(loop(), ANONYMOUS, List.of(), "0-0");
        loadHistory(0, 3);
        run();
        assertEquals(List.of(), bob.received, "nothing before the stream starts: a resume might miss what is on its way");

        broadcaster.streamStartsAt(Map.of(0, 3L));
        publish(0, Target.EVERYONE);
        run();

        assertEquals(List.of("0-1", "0-2", "resumed 2", "0-3"), bob.received);
    }

    /** Told of its unknown ids while the stream has not started, it must still wait for the start, then gets 4009. */
    @Test
    void unknownIdsBeforeTheStreamStartsDoNotLetTheRestResumeEarly() {
        topicEnds.answer(Map.of(0, 10L));
        EmbeddedChannel loop = loop();
        RecordingOutbox carol = join(loop, ANONYMOUS, List.of(), "0-1,5-2");
        loadHistory(0, 3);

        advance(loop, CATCH_UP);

        assertEquals(List.of("unknown-id [\"5-2\"]", "close 4009"), carol.received);
    }

    @Test
    void aSubscriberThisInstanceDoesNotReachWithinTheCatchUpTimeoutIsClosedWith4009() {
        startAt(0);
        publish(0, Target.EVERYONE);
        topicEnds.answer(Map.of(0, 10L));
        EmbeddedChannel loop = loop();
        RecordingOutbox carol = join(loop, ANONYMOUS, List.of(), "0-5");

        advance(loop, CATCH_UP.minusSeconds(1));
        assertEquals(List.of(), carol.received);
        advance(loop, Duration.ofSeconds(1));

        assertEquals(List.of("close 4009"), carol.received);
    }

    @Test
    void theCloseComesBehindTheAnswerThatNamesTheUnknownIds() {
        startAt(0, 1);
        publish(0, Target.EVERYONE);
        topicEnds.answer(Map.of(0, 10L, 1, 3L));
        EmbeddedChannel loop = loop();
        RecordingOutbox dave = join(loop, ANONYMOUS, List.of(), "0-5,1-7"); // 1-7 beyond its end, 0-5 not reached

        advance(loop, CATCH_UP);

        assertEquals(List.of("unknown-id [\"1-7\"]", "close 4009"), dave.received);
    }

    @Test
    void pastTheCatchUpTimeoutAnIdBeyondTheEndOfItsPartitionIsUnknownAndTheOthersResume() {
        startAt(0, 1);
        publish(0, Target.EVERYONE);
        publish(1, Target.EVERYONE);
        publish(0, Target.EVERYONE);
        topicEnds.answer(Map.of(0, 2L, 1, 1L));
        EmbeddedChannel loop = loop();
        RecordingOutbox dave = join(loop, ANONYMOUS, List.of(), "0-0,1-7");
        run();
        assertEquals(List.of(), dave.received); // 1-7 may yet come: the client may know a replica further on

        advance(loop, CATCH_UP);
        publish(0, Target.EVERYONE);
        run();

        assertEquals(List.of("unknown-id [\"1-7\"]", "1-0", "0-1", "resumed 2", "0-2"), dave.received);
    }

    @Test
    void anIdInAPartitionTheTopicDoesNotHaveIsUnknownAtOnce() {
        startAt(0);
        publish(0, Target.EVERYONE, Target.EVERYONE);
        topicEnds.answer(Map.of(0, 2L));
        RecordingOutbox erin = join(loop(), ANONYMOUS, List.of(), "0-0,9-3");
        run();

        assertEquals(List.of("unknown-id [\"9-3\"]", "0-1", "resumed 1"), erin.received);
    }

    @Test
    void subscriptionsAreAnsweredInTheOrderOfWhatTheyAnswerAndStartAfterTheNewest() {
        startAt(0);
        RecordingOutbox frank = join(loop(), ANONYMOUS, List.of(), null);
        Target news = new Target(null, "news");
        publish(0, Target.EVERYONE, news);
        broadcaster.subscribe(subscribers.get(frank), "news");
        publish(0, news);
        broadcaster.unsubscribe(subscribers.get(frank), "news");
        publish(0, news);
        broadcaster.subscribe(subscribers.get(frank), "secret"); // a channel no rule names
        run();

        assertEquals(List.of("0-0", "subscribed news after 0-1", "0-2", "unsubscribed news after 0-2", "error forbidden-channel"),
                frank.received);
    }

    @Test
    void aWaitingSubscriberIsAnsweredAtOnceAndGetsItsNewChannelInItsReplay() {
        startAt(0);
        Target news = new Target(null, "news");
        publish(0, news);
        topicEnds.answer(Map.of(0, 100L));
        RecordingOutbox grace = join(loop(), ANONYMOUS, List.of(), "0-1");
        broadcaster.subscribe(subscribers.get(grace), "news");
        run();
        assertEquals(List.of("subscribed news"), grace.received);

        publish(0, news, news);
        run();

        assertEquals(List.of("subscribed news", "0-2", "resumed 1"), grace.received);
    }

    @Test
    void aReplayHoldsOnlyWhatTheSubscriberMaySee() {
        startAt(0);
        publish(0, Target.EVERYONE, new Target("alice", null), new Target("bob", null), new Target(null, "ops"),
                new Target("alice", "ops"), Target.EVERYONE);
        EmbeddedChannel loop = loop();
        RecordingOutbox bob = join(loop, identity("bob"), List.of("ops"), "0-0");
        RecordingOutbox alice = join(loop, identity("alice"), List.of(), "0-0");
        run();

        assertEquals(List.of("subscribed ops", "0-2", "0-3", "0-5", "resumed 3"), bob.received);
        assertEquals(List.of("0-1", "0-5", "resumed 2"), alice.received);
    }

    @Test
    void theChannelsAskedForAtConnectAreAnsweredBeforeTheReplayAndOnlyThoseItMayReadAreRead() {
        startAt(0);
        publish(0, Target.EVERYONE, new Target(null, "news"), new Target(null, "secret"));
        RecordingOutbox ivan = join(loop(), ANONYMOUS, List.of("news", "secret", "no spaces allowed"), "0-0");
        publish(0, new Target(null, "secret"), new Target(null, "news"));
        run();

        assertEquals(List.of("subscribed news", "error forbidden-channel", "error invalid-channel", "0-1", "resumed 1", "0-4"),
                ivan.received);
    }

    @Test
    void aNotificationForOneUserReachesEveryDeviceOfThatUserAndNobodyElse() {
        startAt(0);
        EmbeddedChannel loop = loop();
        RecordingOutbox alicesPhone = join(loop, identity("alice"), List.of(), null);
        RecordingOutbox alicesLaptop = join(loop(), identity("alice"), List.of(), null);
        RecordingOutbox bob = join(loop, identity("bob"), List.of(), null);
        RecordingOutbox anonymous = join(loop, ANONYMOUS, List.of(), null);
        publish(0, new Target("alice", null), Target.EVERYONE, new Target("bob", null));
        run();

        assertEquals(List.of("0-0", "0-1"), alicesPhone.received);
        assertEquals(List.of("0-0", "0-1"), alicesLaptop.received);
        assertEquals(List.of("0-1", "0-2"), bob.received);
        assertEquals(List.of("0-1"), anonymous.received);
    }

    @Test
    void aReplayLeavesOutWhatIsOlderThanTheAgeLimit() {
        startAt(0);
        publish(0, Target.EVERYONE, Target.EVERYONE);
        clock.move(Duration.ofMinutes(30));
        publish(0, Target.EVERYONE);
        clock.move(Duration.ofMinutes(45)); // 0-1 is 75 minutes old now, 0-2 45
        RecordingOutbox heidi = join(loop(), ANONYMOUS, List.of(), "0-0");
        run();

        assertEquals(List.of("history-gap from 0-2", "0-2", "resumed 1"), heidi.received);
    }

    @Test
    void aSubscriberThatLeftIsHandedNothingAndNotClosedLater() {
        startAt(0);
        topicEnds.answer(Map.of(0, 10L));
        EmbeddedChannel loop = loop();
        RecordingOutbox ivan = join(loop, ANONYMOUS, List.of(), null);
        RecordingOutbox judy = join(loop, ANONYMOUS, List.of(), "0-5");
        broadcaster.leave(subscribers.get(ivan));
        broadcaster.leave(subscribers.get(judy));
        publish(0, Target.EVERYONE);
        advance(loop, CATCH_UP);

        assertEquals(List.of(), ivan.received);
        assertEquals(List.of(), judy.received);
        assertEquals(1, topicEnds.asked, "asked once, at its join: its deadline went with it");
        assertEquals(0, meters.get("notifications.waiting.sockets").gauge().value());
    }

    private void startAt(int... partitions) {
        Map<Integer, Long> positions = new HashMap<>();
        Arrays.stream(partitions).forEach(partition -> positions.put(partition, 0L));
        broadcaster.streamStartsAt(positions);
    }

    /** One batch of one partition, as the consumer hands it over: a notification per target, at the clock's time. */
    private void publish(int partition, Target... targets) {
        List<ReceivedNotification> batch = new ArrayList<>();
        for (Target target : targets) {
            long offset = next.merge(partition, 1L, Long::sum) - 1;
            batch.add(new ReceivedNotification(Notification.of(new NotificationRequest("hello", null, null, target.user(),
                    target.channel(), null, null), partition, offset, clock.instant()), partition, offset));
        }
        broadcaster.broadcast(batch, System.nanoTime());
    }

    /** The history read at start-up: {@code count} broadcasts of one partition, from offset 0. */
    private void loadHistory(int partition, int count) {
        List<ReceivedNotification> notifications = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long offset = next.merge(partition, 1L, Long::sum) - 1;
            notifications.add(new ReceivedNotification(Notification.of(new NotificationRequest("hello", null, null, null, null, null, null),
                    partition, offset, clock.instant()), partition, offset));
        }
        List<ByteBuf> frames = encoder.history(notifications.stream().map(ReceivedNotification::notification).toList());
        broadcaster.loadHistory(Map.of(partition, 0L), RecentNotifications.Entry.of(notifications, frames));
    }

    private EmbeddedChannel loop() {
        EmbeddedChannel loop = new EmbeddedChannel();
        loop.freezeTime();
        loops.add(loop);
        return loop;
    }

    private RecordingOutbox join(EmbeddedChannel loop, SocketIdentity who, List<String> channels, String since) {
        RecordingOutbox outbox = new RecordingOutbox("subscriber-" + subscribers.size());
        subscribers.put(outbox, broadcaster.join(outbox, loop.eventLoop(), who, channels, since));
        return outbox;
    }

    /** Every loop runs what was queued on it, in order. */
    private void run() {
        loops.forEach(EmbeddedChannel::runPendingTasks);
    }

    /** Time moves on for one loop: what was due runs, then whatever that queued. */
    private void advance(EmbeddedChannel loop, Duration by) {
        loop.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        loop.runScheduledPendingTasks();
        run();
    }

    private static SocketIdentity identity(String user) {
        return new SocketIdentity(user, Set.of(), null);
    }

    /** Kafka's answer to where the topic ends, as the test sets it; no answer is never. */
    private static final class SetTopicEnds extends TopicEnds {
        private Map<Integer, Long> ends;
        int asked;

        SetTopicEnds() {
            super(Map.of(), "notifications");
        }

        void answer(Map<Integer, Long> ends) {
            this.ends = ends;
        }

        @Override
        synchronized CompletableFuture<Map<Integer, Long>> ends() {
            asked++;
            return ends == null ? new CompletableFuture<>() : CompletableFuture.completedFuture(ends);
        }
    }

    private static final class MovableClock extends Clock {
        private Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void move(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
