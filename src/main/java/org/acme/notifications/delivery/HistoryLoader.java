package org.acme.notifications.delivery;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationsConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * At start-up, reads the last notifications of the topic from Kafka into the broadcaster's history,
 * so that a client can resume after this instance restarted (or on another replica). The live
 * consumer then starts exactly where this read stopped: no gap between history and live stream.
 *
 * <p>The load has one deadline, {@code notifications.history.load-timeout} from start-up. The live consumer
 * waits for it until then (and a second more); if it gives up, it starts without history, and a load that
 * finishes later is dropped rather than mixed into the live history.
 */
@ApplicationScoped
public class HistoryLoader {

    private static final Logger LOG = Logger.getLogger(HistoryLoader.class);
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final Map<String, Object> kafkaConfig;
    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final NotificationsConfig config;
    private final CompletableFuture<Map<Integer, Long>> loadedUpTo = new CompletableFuture<>();
    private final Instant deadline;

    public HistoryLoader(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
                         NotificationRequestParser parser, NotificationBroadcaster broadcaster, NotificationsConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.config = config;
        this.deadline = Instant.now().plus(config.history().loadTimeout());
    }

    void load(@Observes StartupEvent event) {
        // Off the start-up path: the service is up at once, and the live consumer waits for this.
        Thread loader = new Thread(this::load, "history-loader");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Per partition, the offset the history was read up to (exclusive), where live consumption starts;
     * empty when the history could not be read by the deadline. Blocks until then at most.
     */
    Map<Integer, Long> awaitLoaded() {
        Duration left = Duration.between(Instant.now(), deadline.plus(GRACE));
        try {
            return loadedUpTo.get(Math.max(0, left.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (loadedUpTo) {
                if (loadedUpTo.complete(Map.of())) {
                    LOG.warnf("The recent notifications were not loaded from Kafka by the deadline (%s); clients that "
                            + "reconnect now resume only from what arrives from here on", config.history().loadTimeout());
                }
            }
            return loadedUpTo.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        } catch (ExecutionException e) {
            return Map.of(); // never completed exceptionally
        }
    }

    private void load() {
        long started = System.nanoTime();
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            consumer = new KafkaConsumer<>(consumerConfig());
            HistoryReader.Read read = new HistoryReader(consumer, deadline, Clock.systemUTC())
                    .read(config.topic(), config.history().size(), this::toNotification);
            if (handOver(read.startsAt(), read.notifications(), read.upTo())) {
                LOG.infof("Loaded %d recent notifications from Kafka in %d ms; clients can resume from them",
                        read.notifications().size(), Duration.ofNanos(System.nanoTime() - started).toMillis());
            } else {
                LOG.warnf("Dropped %d recent notifications loaded from Kafka after the deadline: the live stream had started "
                        + "without them", read.notifications().size());
            }
        } catch (RuntimeException e) {
            LOG.warnf("Could not load the recent notifications from Kafka (%s); clients that reconnect now "
                    + "resume only from what arrives from here on", e.getMessage());
            handOver(Map.of(), List.of(), Map.of());
        } finally {
            if (consumer != null) {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(1))); // after the hand-over: closing may wait on Kafka
            }
        }
    }

    /** Null for a record that is not a notification: the live consumer dead-lettered it when it came in. */
    private ReceivedNotification toNotification(ConsumerRecord<byte[], byte[]> record) {
        try {
            return new ReceivedNotification(Notification.of(parser.fromRecordValue(record.value()), record.partition(),
                    record.offset(), Instant.ofEpochMilli(record.timestamp())), record.partition(), record.offset());
        } catch (InvalidNotificationException notANotification) {
            return null;
        }
    }

    /** Gives the history to the broadcaster unless the live consumer gave up waiting; false when it did. */
    private boolean handOver(Map<Integer, Long> startsAt, List<ReceivedNotification> notifications, Map<Integer, Long> upTo) {
        synchronized (loadedUpTo) {
            if (loadedUpTo.isDone()) {
                return false;
            }
            broadcaster.loadHistory(startsAt, notifications);
            loadedUpTo.complete(upTo);
            return true;
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> consumerConfig = new HashMap<>(kafkaConfig);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "notifications-history");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return consumerConfig;
    }
}
