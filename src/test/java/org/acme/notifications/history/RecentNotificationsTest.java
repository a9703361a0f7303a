package org.acme.notifications.history;

import io.netty.buffer.ByteBuf;
import org.acme.notifications.Target;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.testsupport.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replay history on its own: what a resume from a position gets, gaps, the byte budget, ids ahead. */
class RecentNotificationsTest {

    private static final long NO_BUDGET = Long.MAX_VALUE;
    private static final Predicate<Target> EVERYTHING = target -> true;

    @Test
    void aResumeGetsWhatFollowsItsIdInOrder() {
        RecentNotifications recent = history(10, "0-0", "0-1", "0-2", "0-3");

        RecentNotifications.After replay = recent.after(position("0-1"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("0-2", "0-3"), ids(replay));
        assertTrue(replay.complete());
    }

    @Test
    void droppedNotificationsMakeAGapThatStartsAtTheOldestKept() {
        RecentNotifications recent = history(2, "0-0", "0-1", "0-2", "0-3");

        RecentNotifications.After replay = recent.after(position("0-0"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("0-2", "0-3"), ids(replay));
        assertFalse(replay.complete());
        assertEquals("0-2", replay.firstId());
    }

    @Test
    void theHistoryKeepsAtMostItsBytesOfFramesDroppingTheOldest() {
        RecentNotifications recent = new RecentNotifications(10, 3L * frame("0-0").readableBytes(), Duration.ofHours(1), Clock.systemUTC());
        for (String id : new String[] {"0-0", "0-1", "0-2", "0-3", "0-4"}) {
            recent.add(entry(id, Target.EVERYONE));
        }

        RecentNotifications.After replay = recent.after(position("0-0"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("0-2", "0-3", "0-4"), ids(replay));
        assertFalse(replay.complete());
    }

    @Test
    void theByteBudgetKeepsTheNewestAndSaysWhereTheReplayStarts() {
        RecentNotifications recent = history(10, "0-0", "0-1", "0-2", "0-3", "0-4");
        long twoFrames = 2L * frame("0-3").readableBytes();

        RecentNotifications.After replay = recent.after(position("0-0"), twoFrames, EVERYTHING);

        assertEquals(List.of("0-3", "0-4"), ids(replay));
        assertFalse(replay.complete());
        assertEquals("0-3", replay.firstId());
    }

    @Test
    void everyNamedPartitionResumesAfterItsOwnId() {
        RecentNotifications recent = history(20, "0-0", "1-0", "2-0", "0-1", "1-1", "2-1", "0-2", "1-2", "2-2");

        RecentNotifications.After replay = recent.after(position("0-1,1-0,2-2"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("1-1", "0-2", "1-2"), ids(replay));
        assertTrue(replay.complete());
    }

    @Test
    void aPartitionWithoutAnIdResumesAfterTheNewestNamedOne() {
        // The client saw 0-1 and 1-0 last; partition 2 had nothing while it was connected.
        RecentNotifications recent = history(20, "2-0", "0-0", "1-0", "0-1", "2-1", "0-2", "1-1");

        RecentNotifications.After replay = recent.after(position("0-1,1-0"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("2-1", "0-2", "1-1"), ids(replay));
        assertTrue(replay.complete());
    }

    @Test
    void aReplayHoldsOnlyWhatTheOneResumingMaySee() {
        RecentNotifications recent = new RecentNotifications(10, Long.MAX_VALUE, Duration.ofHours(1), Clock.systemUTC());
        recent.add(entry("0-0", Target.EVERYONE));
        recent.add(entry("0-1", new Target("bob", null)));
        recent.add(entry("0-2", new Target("alice", null)));
        recent.add(entry("0-3", new Target(null, "ops")));
        recent.add(entry("0-4", new Target("alice", "ops")));
        recent.add(entry("0-5", Target.EVERYONE));
        Set<String> aliceReads = new HashSet<>();
        Predicate<Target> alice = target -> target.reaches("alice", aliceReads);

        assertEquals(List.of("0-2", "0-5"), ids(recent.after(position("0-0"), NO_BUDGET, alice)));
        aliceReads.add("ops");
        RecentNotifications.After replay = recent.after(position("0-0"), NO_BUDGET, alice);
        assertEquals(List.of("0-2", "0-3", "0-4", "0-5"), ids(replay));
        assertTrue(replay.complete());
        assertEquals("0-5", recent.newestId());
    }

    /**
     * Older than the age limit is never replayed, even behind a younger one (producers set record timestamps: a
     * partition's can lag another's); what is left out for its age makes the replay incomplete.
     */
    @Test
    void aNotificationPastTheAgeLimitIsNotReplayedWhereverItIs() {
        RecentNotifications recent = new RecentNotifications(10, Long.MAX_VALUE, Duration.ofHours(1), Clock.systemUTC());
        recent.add(entry("0-0", Target.EVERYONE));
        recent.add(new RecentNotifications.Entry(1, 0, Instant.now().minus(Duration.ofHours(2)), Target.EVERYONE, frame("1-0")));
        recent.add(entry("0-1", Target.EVERYONE));

        RecentNotifications.After replay = recent.after(position("0-0"), NO_BUDGET, EVERYTHING);

        assertEquals(List.of("0-1"), ids(replay));
        assertFalse(replay.complete());
    }

    @Test
    void idsAheadAndPartitionsNeverSeenAreToldApart() {
        RecentNotifications recent = history(10, "0-0", "0-1");

        assertFalse(recent.isAhead(position("0-1")));
        assertTrue(recent.isAhead(position("0-2")));
        assertTrue(recent.knows(0));
        assertFalse(recent.knows(3));
        assertTrue(recent.isAhead(position("0-1,3-0")), "a partition never seen is not reached yet");
    }

    @Test
    void positionsParseOneIdPerPartition() {
        assertEquals(Map.of(0, 41L, 1, 17L, 2, 9L), ResumePosition.parse("0-41,1-17,2-9").lastSeen());
        for (String malformed : new String[] {"", "garbage", "0-", "-1", "0--5", "0-1,0-2", "0-1,", "1.5-2", "0-99999999999999999999"}) {
            assertNull(ResumePosition.parse(malformed), malformed);
        }
    }

    private static RecentNotifications history(int size, String... ids) {
        RecentNotifications recent = new RecentNotifications(size, Long.MAX_VALUE, Duration.ofHours(1), Clock.systemUTC());
        for (String id : ids) {
            recent.add(entry(id, Target.EVERYONE));
        }
        return recent;
    }

    private static RecentNotifications.Entry entry(String id, Target target) {
        String[] parts = id.split("-");
        return new RecentNotifications.Entry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]), Instant.now(), target, frame(id));
    }

    private static ResumePosition position(String since) {
        return ResumePosition.parse(since);
    }

    private static ByteBuf frame(String id) {
        return TextFrames.encode(Json.object("id", id));
    }

    private static List<String> ids(RecentNotifications.After replay) {
        return replay.frames().stream()
                .map(frame -> frame.toString(2, frame.readableBytes() - 2, StandardCharsets.UTF_8)) // past the 2-byte header
                .map(json -> json.substring("{\"id\":\"".length(), json.length() - 2))
                .toList();
    }
}
