package org.acme.notifications.kafka;

import org.acme.notifications.IdempotencyKey;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

/** Plain Kafka clients, as any other system would use them: not through the service. */
public final class KafkaClients {

    private KafkaClients() {
    }

    /** String keys, byte[] values; extra producer settings (e.g. compression.type) may be given. */
    public static KafkaProducer<String, byte[]> producer(String bootstrapServers, Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(config);
    }

    public static KafkaProducer<String, byte[]> producer(String bootstrapServers) {
        return producer(bootstrapServers, Map.of());
    }

    /** A plain-text record for the notifications topic. */
    public static ProducerRecord<String, byte[]> textRecord(String value) {
        return new ProducerRecord<>("notifications", value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Every record of partitions 0 to {@code partitions - 1} of {@code topic} up to their ends now, in each partition's
     * order, but the repeats of an {@code Idempotency-Key}: what the service's consumer delivers (the first of a key in
     * partition order, whatever the record's target).
     */
    public static List<ConsumerRecord<byte[], byte[]>> deliveredRecords(String bootstrapServers, String topic, int partitions) {
        List<ConsumerRecord<byte[], byte[]>> delivered = new ArrayList<>();
        Set<IdempotencyKey> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
            while (assigned.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    IdempotencyKey key = IdempotencyKey.of(record.headers());
                    if (key == null || seen.add(key)) {
                        delivered.add(record);
                    }
                }
            }
        }
        return delivered;
    }

    /** Reads {@code topic} from the beginning until a record matches. */
    public static ConsumerRecord<String, byte[]> awaitRecord(String bootstrapServers, String topic,
                                                             Predicate<ConsumerRecord<String, byte[]>> matching) {
        List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            await("a matching record on " + topic).atMost(Duration.ofSeconds(15)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.stream().anyMatch(matching);
            });
        }
        return seen.stream().filter(matching).findFirst().orElseThrow();
    }
}
