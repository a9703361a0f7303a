package org.acme.notifications.access;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rate limit on a clock the test moves: a burst at once, then the rate, never more than the burst saved up. */
class TokenBucketTest {

    private final AtomicLong now = new AtomicLong();

    @Test
    void aBurstAtOnceThenTheRate() {
        TokenBucket bucket = new TokenBucket(2, 3, now::get);

        assertTrue(bucket.tryTake());
        assertTrue(bucket.tryTake());
        assertTrue(bucket.tryTake());
        assertFalse(bucket.tryTake());

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(499));
        assertFalse(bucket.tryTake(), "half a second at 2/s is not quite one more");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2));
        assertTrue(bucket.tryTake());
        assertFalse(bucket.tryTake());
    }

    @Test
    void anIdleBucketSavesUpNoMoreThanItsBurst() {
        TokenBucket bucket = new TokenBucket(10, 2, now::get);

        now.addAndGet(TimeUnit.HOURS.toNanos(1));

        assertTrue(bucket.tryTake());
        assertTrue(bucket.tryTake());
        assertFalse(bucket.tryTake());
    }
}
