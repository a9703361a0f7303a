package org.acme.notifications.publish;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.ingest.IdempotencyWindow;
import org.acme.notifications.ingest.IdempotencyWindow.First;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * Writes notifications to the Kafka topic. Completes only once the broker acknowledged the record
 * (acks=all, idempotent producer), so a 202 means the notification is durable.
 */
@ApplicationScoped
public class NotificationPublisher {

    private final MutinyEmitter<String> emitter;
    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final IdempotencyWindow idempotency;
    private final Duration timeout;

    public NotificationPublisher(@Channel("notifications-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
                                 MutinyEmitter<String> emitter,
                                 ObjectMapper mapper, NotificationMetrics metrics, IdempotencyWindow idempotency,
                                 NotificationsConfig config) {
        this.emitter = emitter;
        this.mapper = mapper;
        this.metrics = metrics;
        this.idempotency = idempotency;
        this.timeout = config.publishTimeout();
    }

    /** The published notification, with the id and timestamp Kafka gave it; fails with {@link PublishFailedException}. */
    public Uni<Notification> publish(NotificationRequest request, NotificationSource source) {
        return write(request, toJson(request), source, null);
    }

    /**
     * As {@link #publish(NotificationRequest, NotificationSource)}, once for {@code key}: a notification already
     * published with it within the window is answered as it was (its id and timestamp), and nothing is written; one
     * published with it but another content fails with {@link IdempotencyKeyReusedException}.
     */
    public Uni<Notification> publish(NotificationRequest request, NotificationSource source, IdempotencyKey key) {
        String json = toJson(request);
        long fingerprint = IdempotencyKey.fingerprint(json.getBytes(StandardCharsets.UTF_8));
        CompletableFuture<First> first = idempotency.firstOrAwait(key, Instant.now());
        if (first.isDone()) {
            return Uni.createFrom().item(() -> answer(request, first.join(), fingerprint));
        }
        // The first is this write, or one the consumer reads before it (another replica's, say): whichever it reads
        // first. Not read in time, it is not known which: 503, and a retry with the key is answered then. Writing and
        // reading back share one publish timeout, so a keyed publish is answered as soon as one without a key.
        long deadline = System.nanoTime() + timeout.toNanos();
        return write(request, json, source, key)
                .chain(written -> Uni.createFrom().completionStage(first)
                        .ifNoItem().after(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())))
                        .failWith(() -> new PublishFailedException(
                                "written as " + written.id() + ", but not read back within the publish timeout (" + timeout.toMillis()
                                        + " ms, writing included) to tell whether it was the first"))
                        .map(winner -> answer(request, winner, fingerprint)))
                .onTermination().invoke(() -> idempotency.stopAwaiting(key, first));
    }

    private static Notification answer(NotificationRequest request, First first, long fingerprint) {
        if (first.fingerprint() != fingerprint) {
            throw new IdempotencyKeyReusedException();
        }
        return Notification.of(request, first.id().partition(), first.id().offset(), first.timestamp());
    }

    private Uni<Notification> write(NotificationRequest request, String json, NotificationSource source, IdempotencyKey key) {
        OutgoingMessageMetadata<RecordMetadata> written = new OutgoingMessageMetadata<>();
        RecordHeaders headers = new RecordHeaders();
        headers.add(NotificationSource.HEADER, source.headerValue());
        // Keyed by target: one target's records share a partition, and so their order (Target#recordKey). A broadcast
        // with an Idempotency-Key by that key, so that its retries share the partition of the first attempt.
        String recordKey = request.target().recordKey();
        if (key != null) {
            key.addTo(headers);
            recordKey = recordKey != null ? recordKey : key.recordKey();
        }
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(recordKey).withHeaders(headers).build();
        long accepted = System.nanoTime();
        return Uni.createFrom().item(() -> Message.of(json).addMetadata(written).addMetadata(metadata))
                .chain(emitter::sendMessage)
                .ifNoItem().after(timeout).failWith(() -> new PublishFailedException("no acknowledgement from Kafka within " + timeout.toMillis() + " ms"))
                .onFailure(f -> !(f instanceof PublishFailedException)).transform(PublishFailedException::new)
                .map(ignored -> {
                    metrics.published(source);
                    metrics.publishDuration(source, System.nanoTime() - accepted);
                    RecordMetadata record = written.getResult();
                    return Notification.of(request, record.partition(), record.offset(), Instant.ofEpochMilli(record.timestamp()));
                });
    }

    private String toJson(NotificationRequest request) {
        try {
            return mapper.writeValueAsString(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A validated request always serializes", e);
        }
    }
}
