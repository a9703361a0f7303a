package org.acme.notifications.delivery;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationsConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * At start-up, reads the last notifications of the topic from Kafka into the broadcaster's history,
 * so that a client can resume after this instance restarted (or on another replica). The live
 * consumer then starts exactly where this read stopped: no gap between history and live stream.
 */
@ApplicationScoped
public class HistoryLoader {

    private static final Logger LOG = Logger.getLogger(HistoryLoader.class);

    private final CompletableFuture<Map<Integer, Long>> loadedUpTo = new CompletableFuture<>();
    private final Map<String, Object> kafkaConfig;
    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final NotificationsConfig config;

    public HistoryLoader(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
                         NotificationRequestParser parser, NotificationBroadcaster broadcaster, NotificationsConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.config = config;
    }

    void load(@Observes StartupEvent event) {
        // Off the start-up path: the service is up at once, and the live consumer waits for this.
        Thread loader = new Thread(() -> loadedUpTo.complete(read()), "history-loader");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Per partition, the offset the history was read up to (exclusive), where live consumption
     * starts; empty when the history could not be read in time.
     */
    Map<Integer, Long> loadedUpTo() {
        try {
            return loadedUpTo.get(config.history().loadTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return Map.of();
        }
    }

    private Map<Integer, Long> read() {
        Duration timeout = config.history().loadTimeout();
        Map<String, Object> consumerConfig = new HashMap<>(kafkaConfig);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "notifications-history");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long started = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
            List<TopicPartition> partitions = consumer.partitionsFor(config.topic(), timeout).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            if (partitions.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, timeout);
            consumer.assign(partitions);
            for (TopicPartition partition : partitions) {
                long start = Math.max(beginning.get(partition), end.get(partition) - config.history().size());
                consumer.seek(partition, start);
                broadcaster.historyStartsAt(partition.partition(), start);
            }
            int loaded = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("history not read within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        loaded += remember(record) ? 1 : 0;
                    }
                }
            }
            LOG.infof("Loaded %d recent notifications from Kafka in %d ms; clients can resume from them",
                    loaded, Duration.ofNanos(System.nanoTime() - started).toMillis());
            Map<Integer, Long> upTo = new HashMap<>();
            end.forEach((partition, offset) -> upTo.put(partition.partition(), offset));
            return upTo;
        } catch (RuntimeException e) {
            LOG.warnf("Could not load the recent notifications from Kafka (%s); clients that reconnect now "
                    + "resume only from what arrives from here on", e.getMessage());
            return Map.of();
        }
    }

    private boolean remember(ConsumerRecord<byte[], byte[]> record) {
        try {
            broadcaster.remember(Notification.of(parser.fromRecordValue(record.value()), record.partition(),
                    record.offset(), Instant.ofEpochMilli(record.timestamp())), record.partition(), record.offset());
            return true;
        } catch (InvalidNotificationException notANotification) {
            return false; // the live consumer dead-lettered it when it came in
        }
    }
}
