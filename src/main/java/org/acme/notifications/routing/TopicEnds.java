package org.acme.notifications.routing;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.acme.notifications.NotificationsConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Where each partition of the notifications topic ends now, asked of Kafka: tells an id that this instance has not
 * reached yet from one that is in no partition at all (a topic recreated since, a made-up id, a partition the topic
 * does not have). The admin client is made on first use, off the caller's thread: most instances never need it.
 */
@ApplicationScoped
class TopicEnds {

    private static final int TIMEOUT_MS = 5000;

    private final Map<String, Object> kafkaConfig;
    private final String topic;
    private final Object adminLock = new Object(); // held while the client is made: never by a caller of ends()
    private Admin admin; // guarded by adminLock
    private boolean closed; // guarded by adminLock
    // Guarded by this: the request on its way, and the one to send when it is back (shared by whoever asks meanwhile).
    private CompletableFuture<Map<Integer, Long>> inFlight;
    private CompletableFuture<Map<Integer, Long>> next;

    @Inject
    TopicEnds(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, NotificationsConfig config) {
        this(kafkaConfig, config.topic());
    }

    TopicEnds(Map<String, Object> kafkaConfig, String topic) {
        this.kafkaConfig = kafkaConfig;
        this.topic = topic;
    }

    /**
     * Per partition of the topic, the offset the next record will get, as Kafka answers a request sent after this
     * call (so that an id written just before it is inside); a partition the topic does not have is not in the
     * answer. One request at a time: whoever asks while one is on its way shares the next one (many sockets ask at
     * once after a slow start). Never blocks the caller: it only takes a lock that nothing holds while waiting.
     */
    synchronized CompletableFuture<Map<Integer, Long>> ends() {
        if (inFlight == null) {
            return send();
        }
        if (next == null) {
            next = new CompletableFuture<>();
        }
        return next;
    }

    /** With the lock held. */
    private CompletableFuture<Map<Integer, Long>> send() {
        CompletableFuture<Map<Integer, Long>> answer = CompletableFuture.supplyAsync(this::admin).thenCompose(this::ask);
        inFlight = answer;
        answer.whenComplete((ends, failure) -> answered(answer)); // at once, on this thread, if it is done already
        return answer;
    }

    private void answered(CompletableFuture<Map<Integer, Long>> answer) {
        CompletableFuture<Map<Integer, Long>> waiting;
        CompletableFuture<Map<Integer, Long>> sent;
        synchronized (this) {
            if (inFlight != answer || next == null) {
                if (inFlight == answer) {
                    inFlight = null;
                }
                return;
            }
            waiting = next;
            next = null;
            sent = send();
        }
        // Outside the lock: what waits on the answer may take locks of its own (the broadcaster's).
        sent.whenComplete((ends, failure) -> {
            if (failure != null) {
                waiting.completeExceptionally(failure);
            } else {
                waiting.complete(ends);
            }
        });
    }

    private CompletableFuture<Map<Integer, Long>> ask(Admin client) {
        return client.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(TIMEOUT_MS)).allTopicNames()
                .toCompletionStage().toCompletableFuture()
                .thenCompose(topics -> client.listOffsets(topics.get(topic).partitions().stream().collect(Collectors.toMap(
                                partition -> new TopicPartition(topic, partition.partition()), partition -> OffsetSpec.latest())),
                        new ListOffsetsOptions().timeoutMs(TIMEOUT_MS)).all().toCompletionStage())
                .thenApply(ends -> ends.entrySet().stream()
                        .collect(Collectors.toMap(end -> end.getKey().partition(), end -> end.getValue().offset())));
    }

    private Admin admin() {
        synchronized (adminLock) {
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
    }

    @PreDestroy
    void close() {
        synchronized (adminLock) {
            closed = true;
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
                admin = null;
            }
        }
    }
}
