package org.acme.notifications.bench;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** End-to-end latencies in microseconds: one histogram per event-loop thread, so recording never contends. */
final class Latencies {

    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final List<Histogram> all = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Histogram> mine = ThreadLocal.withInitial(() -> {
        Histogram histogram = new Histogram(MAX_MICROS, 3);
        all.add(histogram);
        return histogram;
    });

    void record(long nanos) {
        mine.get().recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1000)));
    }

    /** Call once every client has stopped recording. */
    Histogram merged() {
        Histogram merged = new Histogram(MAX_MICROS, 3);
        all.forEach(merged::add);
        return merged;
    }
}
