package org.acme.notifications.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Percentiles of the service's own stage histograms ({@code /q/metrics}) over the measured phase only: the
 * difference of two scrapes, interpolated inside a bucket the way Prometheus' {@code histogram_quantile} does.
 * Micrometer's buckets are 9-33 % apart, so these are that coarse.
 */
final class ServerStages {

    private static final Pattern BUCKET = Pattern.compile("^(\\w+)_bucket\\{(.*)}$");
    private static final Pattern LE = Pattern.compile("(?:^|,)le=\"([^\"]+)\"");

    private ServerStages() {
    }

    /**
     * The {@code percentile} (0-100) in milliseconds of histogram {@code name} (e.g.
     * {@code notifications_fanout_duration_seconds}) with exactly the labels {@code labels} besides {@code le}
     * (e.g. {@code source="rest"}, or empty), between the scrapes {@code before} and {@code after}; null when
     * nothing was recorded in between.
     */
    static Double percentileMillis(Map<String, Double> before, Map<String, Double> after, String name, String labels, double percentile) {
        TreeMap<Double, Double> cumulative = new TreeMap<>(); // upper bound (s) -> count recorded in between
        after.forEach((sample, count) -> {
            Matcher bucket = BUCKET.matcher(sample);
            if (!bucket.matches() || !bucket.group(1).equals(name)) {
                return;
            }
            Matcher le = LE.matcher(bucket.group(2));
            if (!le.find() || !le.replaceFirst("").replaceFirst("^,", "").equals(labels)) {
                return;
            }
            double upper = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
            cumulative.put(upper, count - before.getOrDefault(sample, 0.0));
        });
        if (cumulative.isEmpty() || cumulative.lastEntry().getValue() == 0) {
            return null;
        }
        double rank = cumulative.lastEntry().getValue() * percentile / 100;
        double lower = 0;
        double countBelow = 0;
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= rank) {
                if (bucket.getKey().isInfinite()) {
                    return lower * 1000; // above the largest bound: the bound is all that is known
                }
                double share = bucket.getValue() == countBelow ? 1 : (rank - countBelow) / (bucket.getValue() - countBelow);
                return (lower + (bucket.getKey() - lower) * share) * 1000;
            }
            lower = bucket.getKey();
            countBelow = bucket.getValue();
        }
        return null;
    }
}
