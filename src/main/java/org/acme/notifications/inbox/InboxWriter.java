package org.acme.notifications.inbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationRequestParser;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stores every notification addressed to a user, from the notifications topic, whoever produced it. All replicas share
 * one consumer group ({@code notifications-inbox}), so each record is written by one of them; its offset is committed
 * only after its batch is stored (one statement per batch), and a record written again (after a crash or a
 * rebalance) is stored once, by its id, and a notification published again with its Idempotency-Key once, by that key. While PostgreSQL is down, the batch is retried with backoff and consuming
 * waits: it resumes where it stopped. Records that are not notifications are skipped (the live consumer
 * dead-letters them).
 */
@ApplicationScoped
public class InboxWriter {

    private static final Logger LOG = Logger.getLogger(InboxWriter.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration LONGEST_RETRY = Duration.ofSeconds(5);

    private final NotificationRequestParser parser;
    private final InboxSchema schema;
    private final InboxStore store;
    private final InboxEvents events;
    private final InboxState state;
    private final Counter stored;

    public InboxWriter(NotificationRequestParser parser, InboxSchema schema, InboxStore store, InboxEvents events,
                       InboxState state, MeterRegistry registry) {
        this.parser = parser;
        this.schema = schema;
        this.store = store;
        this.events = events;
        this.state = state;
        this.stored = Counter.builder("notifications.inbox.stored")
                .description("Notifications stored in users' inboxes (each once)").register(registry);
    }

    @Incoming("inbox-writer")
    public Uni<Void> write(KafkaRecordBatch<String, byte[]> batch) {
        List<InboxStore.NewItem> forUsers = new ArrayList<>();
        for (KafkaRecord<String, byte[]> kafkaRecord : batch) {
            IncomingKafkaRecord<String, byte[]> record = kafkaRecord.unwrap(IncomingKafkaRecord.class);
            Notification notification = read(record);
            if (notification != null && notification.user() != null) {
                forUsers.add(new InboxStore.NewItem(notification, IdempotencyKey.of(record.getHeaders())));
            }
        }
        if (forUsers.isEmpty()) {
            return Uni.createFrom().completionStage(batch.ack());
        }
        AtomicBoolean retried = new AtomicBoolean();
        return schema.migrated()
                .chain(() -> store.store(forUsers))
                .onFailure().invoke(failure -> {
                    retried.set(true);
                    state.writeFailed(failure);
                })
                .onFailure().retry().withBackOff(FIRST_RETRY, LONGEST_RETRY).indefinitely()
                .invoke(users -> {
                    state.wrote();
                    stored.increment(users.size());
                    // A failed attempt may have committed all the same (a timeout): then its rows are not returned now.
                    (retried.get() ? forUsers.stream().map(item -> item.notification().user()) : users.stream())
                            .distinct().forEach(events::countsChanged);
                })
                .chain(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private Notification read(IncomingKafkaRecord<String, byte[]> record) {
        try {
            NotificationRequest request = parser.fromRecordValue(record.getPayload());
            return Notification.of(request, record.getPartition(), record.getOffset(), record.getTimestamp());
        } catch (InvalidNotificationException notANotification) {
            LOG.debugf("Record %d-%d is not a notification; not stored", record.getPartition(), record.getOffset());
            return null;
        }
    }
}
