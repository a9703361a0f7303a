package org.acme.notifications;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import org.acme.notifications.access.SocketAccessCheck;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Every metric of the service, in one place; Prometheus names in the comments. */
@Startup // so that every meter is there from the first scrape on
@ApplicationScoped
public class NotificationMetrics {

    private final Map<NotificationSource, Counter> published = new EnumMap<>(NotificationSource.class);
    private final Counter delivered;
    private final Counter droppedClosed;
    private final Counter droppedSlow;
    private final Counter slowDisconnects;
    private final Counter deadLettered;
    private final Timer latency;

    private final AtomicInteger waitingSockets = new AtomicInteger();
    private final Map<String, Counter> routed = new HashMap<>();
    private final Map<String, Counter> handedOut = new HashMap<>();

    public NotificationMetrics(MeterRegistry registry, SocketAccessCheck access) {
        for (NotificationSource source : NotificationSource.values()) {
            // notifications_published_total{source="rest|socket|kafka"}
            published.put(source, Counter.builder("notifications.published")
                    .description("Notifications accepted: rest and socket by the instance that answered, kafka (other producers) by each instance that read them")
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
        // notifications_delivery_latency_seconds (histogram)
        latency = Timer.builder("notifications.delivery.latency")
                .description("From the Kafka record's timestamp to the writes to this instance's sockets")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        // notifications_connections
        Gauge.builder("notifications.connections", access, SocketAccessCheck::connections)
                .description("Connections holding one of this instance's socket places (notifications.socket.max-connections)")
                .strongReference(true)
                .register(registry);
        // notifications_waiting_sockets
        Gauge.builder("notifications.waiting.sockets", waitingSockets, AtomicInteger::get)
                .description("Sockets that resumed from an id this instance has not received yet, waiting for it")
                .strongReference(true)
                .register(registry);
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

    public void deliveryLatency(Instant recordTimestamp) {
        latency.record(Duration.between(recordTimestamp, Instant.now()));
    }
}
