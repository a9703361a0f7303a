package org.acme.notifications.ingest;

import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.NotificationId;
import org.acme.notifications.ingest.IdempotencyWindow.First;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Which of the records with one key is the first, in the order of reading and by the records' own timestamps. */
class IdempotencyWindowTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final IdempotencyKey EXPORT = new IdempotencyKey("key-0123456789abcdef", "export-42");

    private final IdempotencyWindow window = new IdempotencyWindow(Duration.ofMinutes(5), 3, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC));

    @Test
    void aRepeatWithinTheWindowIsDroppedAndOneAfterItIsANewFirst() {
        assertThat(window.firstRead(EXPORT, id(0, 10), T0, 1), equalTo(true));
        assertThat(window.firstRead(EXPORT, id(0, 11), T0.plusSeconds(299), 1), equalTo(false));
        // Another content with the same key is still a repeat: what a publisher is told is the first's (its fingerprint).
        assertThat(window.firstRead(EXPORT, id(0, 12), T0.plusSeconds(300), 2), equalTo(false));
        assertThat(window.firstRead(EXPORT, id(0, 13), T0.plusSeconds(301), 1), equalTo(true));
        assertThat(window.firstRead(EXPORT, id(0, 14), T0.plusSeconds(302), 1), equalTo(false));
    }

    @Test
    void keysOfAnotherPublisherAreTheirOwn() {
        assertThat(window.firstRead(EXPORT, id(0, 10), T0, 1), equalTo(true));
        assertThat(window.firstRead(new IdempotencyKey("kafka", EXPORT.key()), id(0, 11), T0, 1), equalTo(true));
        assertThat(window.firstRead(new IdempotencyKey(EXPORT.publisher(), "export-43"), id(0, 12), T0, 1), equalTo(true));
    }

    @Test
    void aPublisherIsToldTheFirstAtOnceWhenItWasRead() {
        window.firstRead(EXPORT, id(3, 7), T0, 9);

        CompletableFuture<First> first = window.firstOrAwait(EXPORT, T0.plusSeconds(60));
        assertThat(first.isDone(), equalTo(true));
        assertThat(first.join(), equalTo(new First(id(3, 7), T0, 9)));
        assertThat(window.firstOrAwait(EXPORT, T0.plusSeconds(301)).isDone(), equalTo(false));
    }

    @Test
    void aPublisherThatWroteIsToldWhicheverRecordWithItsKeyIsReadFirst() {
        CompletableFuture<First> mine = window.firstOrAwait(EXPORT, T0);
        assertThat(mine.isDone(), equalTo(false));

        // Another replica's attempt comes first in the partition, then this one's own record: the other's is the first.
        window.firstRead(EXPORT, id(1, 5), T0, 4);
        window.firstRead(EXPORT, id(1, 6), T0.plusMillis(3), 4);
        assertThat(mine.join(), equalTo(new First(id(1, 5), T0, 4)));
    }

    @Test
    void aPublisherThatGaveUpIsNoLongerAwaited() {
        CompletableFuture<First> mine = window.firstOrAwait(EXPORT, T0);
        window.stopAwaiting(EXPORT, mine);
        window.firstRead(EXPORT, id(1, 5), T0, 4);
        assertThat(mine.isDone(), equalTo(false));
    }

    @Test
    void publishersOfOneKeyWaitEachOnTheirOwn() {
        CompletableFuture<First> gaveUp = window.firstOrAwait(EXPORT, T0);
        CompletableFuture<First> cancelled = window.firstOrAwait(EXPORT, T0);
        CompletableFuture<First> waiting = window.firstOrAwait(EXPORT, T0);
        window.stopAwaiting(EXPORT, gaveUp);
        cancelled.cancel(false);

        window.firstRead(EXPORT, id(1, 5), T0, 4);
        assertThat(waiting.join(), equalTo(new First(id(1, 5), T0, 4)));
        assertThat(gaveUp.isDone(), equalTo(false));
    }

    @Test
    void aRecordStampedInTheFutureForgetsNothingThatIsStillRecent() {
        window.firstRead(EXPORT, id(0, 1), T0.plusSeconds(3500), 1);
        window.firstRead(new IdempotencyKey("kafka", "from a fast clock"), id(0, 2), T0.plusSeconds(86_400), 1);
        assertThat(window.firstRead(EXPORT, id(0, 3), T0.plusSeconds(3550), 1), equalTo(false));
    }

    @Test
    void theOldestKeysAreForgottenPastTheLimit() {
        for (int i = 0; i < 4; i++) {
            window.firstRead(new IdempotencyKey("kafka", "k" + i), id(0, i), T0.plusSeconds(i), 1);
        }
        assertThat(window.size(), equalTo(3));
        // k0 was forgotten: its repeat is a new first; k3 is still known.
        assertThat(window.firstRead(new IdempotencyKey("kafka", "k0"), id(0, 10), T0.plusSeconds(10), 1), equalTo(true));
        assertThat(window.firstRead(new IdempotencyKey("kafka", "k3"), id(0, 11), T0.plusSeconds(11), 1), equalTo(false));
    }

    @Test
    void keysOlderThanTheWindowAreForgottenAsNewerOnesAreRead() {
        window.firstRead(new IdempotencyKey("kafka", "old"), id(0, 1), T0, 1);
        window.firstRead(new IdempotencyKey("kafka", "new"), id(0, 2), T0.plusSeconds(301), 1);
        assertThat(window.size(), equalTo(1));
    }

    private static NotificationId id(int partition, long offset) {
        return new NotificationId(partition, offset);
    }
}
