package org.acme.notifications.publish;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import java.time.Duration;
import java.time.Instant;

/**
 * Writes notifications to the Kafka topic. Completes only once the broker acknowledged the record
 * (acks=all, idempotent producer), so a 202 means the notification is durable.
 */
@ApplicationScoped
public class NotificationPublisher {

    private final MutinyEmitter<String> emitter;
    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;
    private final Duration timeout;

    public NotificationPublisher(@Channel("notifications-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
                                 MutinyEmitter<String> emitter,
                                 ObjectMapper mapper, NotificationMetrics metrics, NotificationsConfig config) {
        this.emitter = emitter;
        this.mapper = mapper;
        this.metrics = metrics;
        this.timeout = config.publishTimeout();
    }

    /** The published notification, with the id and timestamp Kafka gave it; fails with {@link PublishFailedException}. */
    public Uni<Notification> publish(NotificationRequest request, NotificationSource source) {
        OutgoingMessageMetadata<RecordMetadata> written = new OutgoingMessageMetadata<>();
        // Keyed by target: one target's records share a partition, and so their order (Target#recordKey).
        OutgoingKafkaRecordMetadata<String> headers = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(request.target().recordKey())
                .withHeaders(new RecordHeaders().add(NotificationSource.HEADER, source.headerValue()))
                .build();
        long accepted = System.nanoTime();
        return Uni.createFrom().item(() -> Message.of(toJson(request)).addMetadata(written).addMetadata(headers))
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
