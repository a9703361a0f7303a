package org.acme.notifications.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The long run's verdict on its curves (LongRun): a leak fails, a curve that levels off passes. */
class TrendTest {

    private static final Trend RSS_MB = LongRun.CURVES.get("rss_mb");

    @Test
    void aSteadyLeakFails() {
        // 1 MB a sample on top of 300 MB: 20 MB more in each third of 60 samples, over the 16 MB floor
        assertThat(RSS_MB.check(samples(i -> 300 + i)), containsString("RSS (MB) did not level off"));
    }

    @Test
    void aCurveThatFillsAndStopsPasses() {
        // fills 100 MB in its first ten samples (a cache filling), then holds with noise
        assertThat(RSS_MB.check(samples(i -> 300 + 100 * Math.min(1, i / 10.0))), nullValue());
    }

    @Test
    void noiseAroundALevelPasses() {
        assertThat(RSS_MB.check(samples(i -> 300)), nullValue());
    }

    @Test
    void aLeakSlowerThanTheFloorIsNotTold() {
        // 0.5 MB a sample: 10 MB a third, under the 16 MB floor: the floor is the bound on what it tells
        assertThat(RSS_MB.check(samples(i -> 300 + 0.5 * i)), nullValue());
    }

    @Test
    void tooFewSamplesTellNothing() {
        assertThrows(IllegalArgumentException.class, () -> RSS_MB.check(List.of(1.0, 2.0, 3.0, 4.0, 5.0)));
    }

    /** 60 samples of {@code curve} with up to ±1 of noise (seeded: the same every run). */
    private static List<Double> samples(IntToDoubleFunction curve) {
        Random noise = new Random(42);
        return IntStream.range(0, 60).mapToDouble(i -> curve.applyAsDouble(i) + noise.nextDouble() * 2 - 1).boxed().toList();
    }
}
