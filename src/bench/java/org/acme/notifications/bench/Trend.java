package org.acme.notifications.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a quantity sampled through a long run levelled off. The samples after the warm-up are split in three; the
 * median of the last third may exceed the middle third's by at most {@code floor} or {@code relative} of it, whichever
 * is more. A leak grows by the same amount in every third and fails; a curve still filling a cache (the replay
 * history, the JIT's code) grows in the first third and then stops.
 */
record Trend(String name, double floor, double relative) {

    /** Fewer samples cannot tell a trend: the caller says so, and fails. */
    static final int MIN_SAMPLES = 6;

    /** Null when the samples levelled off; else what grew, and by how much. */
    String check(List<Double> samples) {
        if (samples.size() < MIN_SAMPLES) {
            throw new IllegalArgumentException(samples.size() + " samples cannot tell a trend");
        }
        int third = samples.size() / 3;
        double first = median(samples.subList(0, third));
        double middle = median(samples.subList(third, 2 * third));
        double last = median(samples.subList(samples.size() - third, samples.size()));
        double allowed = Math.max(floor, relative * Math.abs(middle));
        if (last - middle <= allowed) {
            return null;
        }
        return String.format("%s did not level off: medians of the thirds %.1f, %.1f, %.1f (allowed +%.1f in the last)",
                name, first, middle, last, allowed);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
