package org.acme.notifications.delivery;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Where the partitions of the notifications topic end now, asked of Kafka: tells an id that this instance
 * has not reached yet from one that is in no partition at all (a topic recreated since, or a made-up id).
 * The admin client is made on first use: most instances never need it.
 */
@ApplicationScoped
class TopicEnds {

    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, Object> kafkaConfig;
    private final String topic;
    // All guarded by this.
    private Admin admin;
    private boolean closed;
    private CompletableFuture<Map<Integer, Long>> lastAnswer;
    private Set<Integer> asked = Set.of();
    private long askedAt;

    TopicEnds(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, NotificationsConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.topic = config.topic();
    }

    /**
     * Per partition, the offset the next record will get. Answers asked within a second of each other share one
     * request to Kafka: many sockets give up waiting at once after a slow start. Never blocks the caller.
     */
    synchronized CompletableFuture<Map<Integer, Long>> of(Set<Integer> partitions) {
        if (lastAnswer != null && System.nanoTime() - askedAt < FRESH_NANOS && asked.containsAll(partitions)) {
            return lastAnswer;
        }
        Set<Integer> toAsk = Set.copyOf(partitions);
        asked = toAsk;
        askedAt = System.nanoTime();
        // The client is made (a DNS lookup, a thread) off the caller's thread: callers are event loops.
        lastAnswer = CompletableFuture.supplyAsync(this::admin)
                .thenCompose(client -> client.listOffsets(toAsk.stream().collect(Collectors.toMap(
                                partition -> new TopicPartition(topic, partition), partition -> OffsetSpec.latest())),
                        new ListOffsetsOptions().timeoutMs(5000)).all().toCompletionStage())
                .thenApply(ends -> ends.entrySet().stream()
                        .collect(Collectors.toMap(end -> end.getKey().partition(), end -> end.getValue().offset())));
        return lastAnswer;
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("shutting down");
        }
        if (admin == null) {
            Map<String, Object> config = new HashMap<>(kafkaConfig);
            config.keySet().retainAll(AdminClientConfig.configNames()); // the rest is for producers and consumers
            config.put(AdminClientConfig.CLIENT_ID_CONFIG, "notifications-topic-ends");
            admin = Admin.create(config);
        }
        return admin;
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }
}
