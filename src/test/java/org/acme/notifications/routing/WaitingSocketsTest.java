package org.acme.notifications.routing;

import org.acme.notifications.Target;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.history.ResumePosition;
import org.acme.notifications.testsupport.Json;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The index of sockets waiting for their {@code since}: released when the stream starts or when the partition each
 * waits on passes its id (then re-indexed on the next partition it waits on), found by subscriber when it leaves.
 */
class WaitingSocketsTest {

    private final RecentNotifications recent = new RecentNotifications(100, Long.MAX_VALUE, Duration.ofHours(1), Clock.systemUTC());
    private final WaitingSockets waiting = new WaitingSockets();

    @Test
    void aSocketIsReleasedOnceEveryPartitionItNamesHasPassedItsId() {
        recent.coverFrom(0, 5);
        recent.coverFrom(1, 5);
        WaitingSockets.Waiting both = socket("0-6,1-7");
        WaitingSockets.Waiting first = socket("0-5");
        waiting.add(both, true, recent);
        waiting.add(first, true, recent);

        assertEquals(List.of(first), add("0-5"));
        assertEquals(List.of(), add("0-6")); // partition 0 has passed 0-6, partition 1 not 1-7 yet
        assertEquals(List.of(both), add("1-7"));
        assertEquals(0, waiting.size());
    }

    @Test
    void beforeTheStreamStartsEveryoneWaitsForTheStart() {
        WaitingSockets.Waiting reached = socket("0-3");
        WaitingSockets.Waiting ahead = socket("0-9");
        waiting.add(reached, false, recent);
        waiting.add(ahead, false, recent);
        recent.coverFrom(0, 5);

        assertEquals(List.of(reached), waiting.started(recent));
        assertEquals(List.of(), add("0-8"));
        assertEquals(List.of(ahead), add("0-9"));
    }

    @Test
    void aSocketThatLeavesIsFoundByItsSubscriberAndNeverReleased() {
        recent.coverFrom(0, 0);
        WaitingSockets.Waiting socket = socket("0-2");
        waiting.add(socket, true, recent);

        assertSame(socket, waiting.remove(socket.subscriber));
        assertNull(waiting.get(socket.subscriber));
        assertEquals(List.of(), add("0-3"));
    }

    @Test
    void aPartitionThisInstanceHasNoStreamOfIsWaitedOnLikeAnyOther() {
        recent.coverFrom(0, 0);
        WaitingSockets.Waiting socket = socket("2-1");
        waiting.add(socket, true, recent);

        recent.coverFrom(2, 0); // the partition is assigned: nothing of it yet
        assertEquals(List.of(), waiting.advanced(Set.of(2), recent));
        assertEquals(List.of(socket), add("2-1"));
    }

    /** Adds a notification to the history and tells the index that its partition moved on. */
    private List<WaitingSockets.Waiting> add(String id) {
        String[] parts = id.split("-");
        recent.add(new RecentNotifications.Entry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]), Instant.now(),
                Target.EVERYONE, TextFrames.encode(Json.object("id", id))));
        return waiting.advanced(Set.of(Integer.parseInt(parts[0])), recent);
    }

    private static WaitingSockets.Waiting socket(String since) {
        Subscriber subscriber = new Subscriber(SocketIdentity.ANONYMOUS, null, null);
        return new WaitingSockets.Waiting(subscriber, ResumePosition.parse(since), since);
    }
}
