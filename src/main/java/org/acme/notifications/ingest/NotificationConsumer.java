package org.acme.notifications.ingest;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationId;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.history.ReceivedNotification;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads every record of the notifications topic, whoever produced it, and hands it to the
 * broadcaster. Each instance has a consumer group of its own, so every replica sees every record.
 */
@ApplicationScoped
public class NotificationConsumer {

    private static final Logger LOG = Logger.getLogger(NotificationConsumer.class);
    /** Dead-letter copies written but not acknowledged; past it a bad record is logged and not copied. */
    private static final int MAX_DEAD_LETTERS_IN_FLIGHT = 100;

    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final PartitionPositions positions;
    private final IdempotencyWindow idempotency;
    private final NotificationsConfig config;
    private final NotificationMetrics metrics;
    private final Tracer tracer;
    private final AtomicInteger deadLettersInFlight = new AtomicInteger();

    public NotificationConsumer(NotificationRequestParser parser, NotificationBroadcaster broadcaster,
                                @Identifier(PartitionPositions.NAME) PartitionPositions positions, IdempotencyWindow idempotency,
                                NotificationsConfig config, NotificationMetrics metrics, Tracer tracer) {
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.positions = positions;
        this.idempotency = idempotency;
        this.config = config;
        this.metrics = metrics;
        this.tracer = tracer;
    }

    void logTopics(@Observes StartupEvent event) {
        LOG.infof("Delivering notifications from Kafka topic '%s'; records that are not notifications go to '%s'",
                config.topic(), config.deadLetterTopic());
    }

    /**
     * One call per poll: under load a batch is hundreds of records, and broadcasting them together
     * costs each socket one system call for all of them instead of one per notification.
     */
    @Incoming("notifications-in")
    public Uni<Void> consume(KafkaRecordBatch<String, byte[]> batch) {
        long receivedAt = System.nanoTime();
        List<ReceivedNotification> notifications = new ArrayList<>(batch.getRecords().size());
        List<Span> spans = new ArrayList<>(batch.getRecords().size());
        for (KafkaRecord<String, byte[]> kafkaRecord : batch) {
            IncomingKafkaRecord<String, byte[]> record = kafkaRecord.unwrap(IncomingKafkaRecord.class);
            if (!positions.advance(record.getPartition(), record.getOffset())) {
                continue; // fetched again after a rebalance
            }
            metrics.consumeLag(record.getTimestamp());
            try {
                ReceivedNotification notification = read(record);
                if (isRepeat(record, notification)) {
                    metrics.repeatDropped();
                    continue;
                }
                notifications.add(notification);
                spans.add(broadcastSpan(record));
            } catch (InvalidNotificationException e) {
                deadLetter(record, e);
            }
        }
        broadcaster.broadcast(notifications, receivedAt);
        spans.forEach(Span::end);
        // Not waiting for the dead letters: an unwritable dead-letter topic must not hold back delivery.
        return Uni.createFrom().completionStage(batch.ack());
    }

    private ReceivedNotification read(IncomingKafkaRecord<String, byte[]> record) {
        NotificationRequest request = parser.fromRecordValue(record.getPayload());
        if (record.getHeaders().lastHeader(NotificationSource.HEADER) == null) {
            metrics.published(NotificationSource.KAFKA);
        }
        return new ReceivedNotification(Notification.of(request, record.getPartition(), record.getOffset(), record.getTimestamp()),
                record.getPartition(), record.getOffset());
    }

    /** A notification published again with the same {@code Idempotency-Key} within the window: not delivered again. */
    private boolean isRepeat(IncomingKafkaRecord<String, byte[]> record, ReceivedNotification notification) {
        IdempotencyKey key = IdempotencyKey.of(record.getHeaders());
        return key != null && !idempotency.firstRead(key, new NotificationId(notification.partition(), notification.offset()),
                notification.notification().timestamp(), IdempotencyKey.fingerprint(record.getPayload()));
    }

    /**
     * Nack hands the record to the dead-letter-queue failure strategy, whose producer writes the copy in the
     * background (within its own timeouts, see application.properties). A copy that cannot be written is
     * logged and given up: failing the batch would dead-letter its good records too.
     */
    private void deadLetter(IncomingKafkaRecord<String, byte[]> record, InvalidNotificationException e) {
        NotificationId id = new NotificationId(record.getPartition(), record.getOffset());
        metrics.deadLettered();
        if (deadLettersInFlight.incrementAndGet() > MAX_DEAD_LETTERS_IN_FLIGHT) {
            // The dead-letter topic is not taking them: copies would pile up in memory, each up to a record's size.
            deadLettersInFlight.decrementAndGet();
            LOG.errorf("Record %s of topic %s is not a notification (%s) and was not copied to '%s': %d copies are already "
                    + "waiting for it", id, record.getTopic(), e.getMessage(), config.deadLetterTopic(), MAX_DEAD_LETTERS_IN_FLIGHT);
            return;
        }
        LOG.warnf("Record %s of topic %s is not a notification (%s); copying it to '%s'", id, record.getTopic(),
                e.getMessage(), config.deadLetterTopic());
        record.nack(e).whenComplete((ignored, failure) -> {
            deadLettersInFlight.decrementAndGet();
            if (failure != null) {
                LOG.errorf("Record %s could not be copied to '%s': %s", id, config.deadLetterTopic(), failure.getMessage());
            }
        });
    }

    /** Continues each record's trace (producer, then the connector's consumer span) into the broadcast. */
    private Span broadcastSpan(IncomingKafkaRecord<String, byte[]> record) {
        Context consumed = TracingMetadata.fromMessage(record).map(TracingMetadata::getCurrentContext).orElse(Context.current());
        return tracer.spanBuilder("broadcast").setParent(consumed).startSpan();
    }
}
