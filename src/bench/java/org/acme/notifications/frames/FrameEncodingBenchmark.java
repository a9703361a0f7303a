package org.acme.notifications.frames;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * A batch of notifications as one buffer of WebSocket text frames ({@link FrameEncoder#notifications}: JSON by
 * Jackson, then the frames), as the consumer encodes each poll once for every socket. Run with
 * {@code src/test/scripts/jmh.sh FrameEncoding}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameEncodingBenchmark {

    @Param({"1", "100", "500"})
    int notifications;

    private FrameEncoder encoder;
    private List<Notification> batch;

    @Setup
    public void makeBatch() {
        encoder = new FrameEncoder(new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)); // as Quarkus configures it
        Instant now = Instant.parse("2026-12-02T03:00:00Z");
        batch = IntStream.range(0, notifications).mapToObj(i -> Notification.of(
                new NotificationRequest("Deploy " + i + " finished", "CI", "success", null, null, null, null), 0, i, now)).toList();
    }

    @Benchmark
    public TextFrames encodeABatch() {
        return encoder.notifications(batch);
    }
}
