package org.acme.notifications;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.util.internal.PlatformDependent;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every metric of the service, in one place; Prometheus names in the comments. A {@code @Singleton}, not
 * {@code @ApplicationScoped}: it is called for every frame written, and a client proxy would look the bean up in its
 * context each time.
 */
@Startup // so that every meter is there from the first scrape on
@Singleton
public class NotificationMetrics {

    private final Map<NotificationSource, Counter> published = new EnumMap<>(NotificationSource.class);
    private final Counter delivered;
    private final Counter droppedClosed;
    private final Counter droppedSlow;
    private final Counter slowDisconnects;
    private final Counter deadLettered;
    private final Counter repeatsDropped;
    private final Map<NotificationSource, Timer> publishDuration = new EnumMap<>(NotificationSource.class);
    private final Timer consumeLag;
    private final Timer fanOut;
    private final Timer latency;
    private final Timer eventLoopLag;

    private final AtomicInteger waitingSockets = new AtomicInteger();
    private final Map<String, Counter> routed = new HashMap<>();
    private final Map<String, Counter> handedOut = new HashMap<>();

    public NotificationMetrics(MeterRegistry registry, ConnectionPlaces places) {
        for (NotificationSource source : NotificationSource.values()) {
            // notifications_published_total{source="rest|socket|kafka"}
            published.put(source, Counter.builder("notifications.published")
                    .description("Notifications accepted: rest and socket by the instance that answered, kafka (other producers) by each instance that read them")
                    .tag("source", source.tag())
                    .register(registry));
        }
        for (NotificationSource source : List.of(NotificationSource.REST, NotificationSource.SOCKET)) {
            // notifications_publish_duration_seconds{source="rest|socket"} (histogram)
            publishDuration.put(source, histogram("notifications.publish.duration",
                    "From a notification accepted by this instance to Kafka's acknowledgement of its record")
                    .tag("source", source.tag())
                    .register(registry));
        }
        for (String kind : List.of("broadcast", "channel", "user")) {
            // notifications_routed_total{target="broadcast|channel|user"}
            routed.put(kind, Counter.builder("notifications.routed")
                    .description("Notifications read from the topic, by whom they are for (Target)")
                    .tag("target", kind)
                    .register(registry));
            // notifications_recipients_total{target="broadcast|channel|user"}
            handedOut.put(kind, Counter.builder("notifications.recipients")
                    .description("Sockets each notification was handed to live, summed, by whom it is for")
                    .tag("target", kind)
                    .register(registry));
        }
        // notifications_delivered_total
        delivered = Counter.builder("notifications.delivered")
                .description("Notification frames written to sockets")
                .register(registry);
        // notifications_dropped_total{reason="closed"}
        droppedClosed = Counter.builder("notifications.dropped")
                .description("Notification frames not delivered to a socket")
                .tag("reason", "closed")
                .register(registry);
        // notifications_dropped_total{reason="slow"}
        droppedSlow = Counter.builder("notifications.dropped")
                .description("Notification frames not delivered to a socket")
                .tag("reason", "slow")
                .register(registry);
        // notifications_slow_disconnects_total
        slowDisconnects = Counter.builder("notifications.slow.disconnects")
                .description("Sockets closed (4008) because they read too slowly")
                .register(registry);
        // notifications_dead_lettered_total
        deadLettered = Counter.builder("notifications.dead.lettered")
                .description("Records of the topic that were not notifications, copied to the dead-letter topic")
                .register(registry);
        // notifications_repeats_dropped_total
        repeatsDropped = Counter.builder("notifications.repeats.dropped")
                .description("Notifications published again with the same Idempotency-Key within the window, not delivered again")
                .register(registry);
        // The stages of a delivery, to tell where its time goes (docs/operations.md).
        // notifications_consume_lag_seconds (histogram)
        consumeLag = histogram("notifications.consume.lag",
                "From the Kafka record's timestamp to this instance's consumer receiving it").register(registry);
        // notifications_fanout_duration_seconds (histogram)
        fanOut = histogram("notifications.fanout.duration",
                "From the consumer receiving a batch of records to its frames written to every socket they are for").register(registry);
        // notifications_delivery_latency_seconds (histogram)
        latency = histogram("notifications.delivery.latency",
                "From the Kafka record's timestamp to its frames written to every socket of this instance it is for").register(registry);
        // notifications_event_loop_lag_seconds (histogram)
        eventLoopLag = histogram("notifications.event.loop.lag",
                "How late a task scheduled on a Vert.x event loop ran (EventLoopLagProbe): a loop busy or blocked delays every socket it serves").register(registry);
        // notifications_netty_direct_memory_bytes
        Gauge.builder("notifications.netty.direct.memory", () -> Math.max(0, PlatformDependent.usedDirectMemory()))
                .description("Direct memory Netty's buffers hold outside the JVM's own count (jvm_buffer_memory_used_bytes{id=\"direct\"}); 0 where Netty does not count it")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        // notifications_connections
        Gauge.builder("notifications.connections", places, ConnectionPlaces::taken)
                .description("Sockets and event streams holding one of this instance's places (notifications.socket.max-connections)")
                .strongReference(true)
                .register(registry);
        // notifications_waiting_sockets
        Gauge.builder("notifications.waiting.sockets", waitingSockets, AtomicInteger::get)
                .description("Sockets that resumed from an id this instance has not received yet, waiting for it")
                .strongReference(true)
                .register(registry);
    }

    /** Buckets from 100 µs to 30 s: a scraper (or the load tool) computes any percentile over any time window. */
    private static Timer.Builder histogram(String name, String description) {
        return Timer.builder(name)
                .description(description)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.of(100, ChronoUnit.MICROS))
                .maximumExpectedValue(Duration.ofSeconds(30));
    }

    public void published(NotificationSource source) {
        published.get(source).increment();
    }

    public void delivered(int frames) {
        delivered.increment(frames);
    }

    public void droppedClosed(int frames) {
        droppedClosed.increment(frames);
    }

    public void droppedSlow(int frames) {
        droppedSlow.increment(frames);
    }

    public void slowDisconnect() {
        slowDisconnects.increment();
    }

    public void deadLettered() {
        deadLettered.increment();
    }

    public void repeatDropped() {
        repeatsDropped.increment();
    }

    /** How many sockets wait for their resume id now. */
    public void waitingSockets(int count) {
        waitingSockets.set(count);
    }

    /** A notification for a target of this kind ({@code broadcast}, {@code channel}, {@code user}) was read. */
    public void routed(String kind) {
        routed.get(kind).increment();
    }

    /** Notifications for targets of this kind were handed to this many sockets. */
    public void handedOut(String kind, int sockets) {
        handedOut.get(kind).increment(sockets);
    }

    /**
     * A notification accepted over REST or a socket ({@code source} is one of those two) was acknowledged by Kafka
     * {@code nanos} after it was accepted. Failed publishes are not timed: they are the 503s and error frames.
     */
    public void publishDuration(NotificationSource source, long nanos) {
        publishDuration.get(source).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The consumer received a record with this timestamp now. */
    public void consumeLag(Instant recordTimestamp) {
        consumeLag.record(sinceEpochMillis(recordTimestamp.toEpochMilli(), System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * A batch's frames were written (or queued behind a write the kernel has not taken yet) to every socket they are
     * for, {@code nanos} after the consumer received it; {@code recordTimestamps} are its records' (epoch ms).
     */
    public void batchWritten(long nanos, long[] recordTimestamps) {
        fanOut.record(nanos, TimeUnit.NANOSECONDS);
        long now = System.currentTimeMillis();
        for (long timestamp : recordTimestamps) {
            latency.record(sinceEpochMillis(timestamp, now), TimeUnit.MILLISECONDS);
        }
    }

    /** A task scheduled on an event loop ran {@code nanos} later than it was due. */
    public void eventLoopLag(long nanos) {
        eventLoopLag.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A producer's clock ahead of this one's would give a negative time, which Micrometer drops: counted as 0. */
    private static long sinceEpochMillis(long timestamp, long now) {
        return Math.max(0, now - timestamp);
    }
}
