package org.acme.notifications.routing;

import org.acme.notifications.NotificationMetrics;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Times one batch from when the consumer received it until the last event loop handing it out is done (the metrics'
 * delivery stages). A batch for no subscriber of this instance counts as written when it is read.
 */
final class BatchTiming {

    private final NotificationMetrics metrics;
    private final AtomicInteger loopsLeft;
    private final long receivedAt;
    private final long[] recordTimestamps;

    /** {@code receivedAt} is {@link System#nanoTime()} when it was received; {@code recordTimestamps} in epoch ms. */
    BatchTiming(NotificationMetrics metrics, int loops, long receivedAt, long[] recordTimestamps) {
        this.metrics = metrics;
        this.loopsLeft = new AtomicInteger(loops);
        this.receivedAt = receivedAt;
        this.recordTimestamps = recordTimestamps;
        if (loops == 0) {
            written();
        }
    }

    /** On each loop, once its part is handed over. */
    void loopDone() {
        if (loopsLeft.decrementAndGet() == 0) {
            written();
        }
    }

    private void written() {
        metrics.batchWritten(System.nanoTime() - receivedAt, recordTimestamps);
    }
}
