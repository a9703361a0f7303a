package org.acme.notifications.delivery;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationsConfig;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads every record of the notifications topic, whoever produced it, and hands it to the
 * broadcaster. Each instance has a consumer group of its own, so every replica sees every record.
 */
@ApplicationScoped
public class NotificationConsumer {

    private static final Logger LOG = Logger.getLogger(NotificationConsumer.class);

    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final PartitionPositions positions;
    private final NotificationsConfig config;
    private final NotificationMetrics metrics;

    public NotificationConsumer(NotificationRequestParser parser, NotificationBroadcaster broadcaster,
                                @Identifier(PartitionPositions.NAME) PartitionPositions positions, NotificationsConfig config, NotificationMetrics metrics) {
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.positions = positions;
        this.config = config;
        this.metrics = metrics;
    }

    void logTopics(@Observes StartupEvent event) {
        LOG.infof("Delivering notifications from Kafka topic '%s'; records that are not notifications go to '%s'",
                config.topic(), config.deadLetterTopic());
    }

    @Incoming("notifications-in")
    public Uni<Void> consume(IncomingKafkaRecord<String, byte[]> record) {
        if (!positions.advance(record.getPartition(), record.getOffset())) {
            return Uni.createFrom().completionStage(record.ack()); // fetched again after a rebalance
        }
        NotificationRequest request;
        try {
            request = parser.fromRecordValue(record.getPayload());
        } catch (InvalidNotificationException e) {
            // Nack hands the record to the dead-letter-queue failure strategy, and the stream goes on.
            metrics.deadLettered();
            LOG.warnf("Record %s of topic %s is not a notification (%s); copied to '%s'",
                    Notification.id(record.getPartition(), record.getOffset()), record.getTopic(),
                    e.getMessage(), config.deadLetterTopic());
            return Uni.createFrom().completionStage(record.nack(e));
        }
        if (record.getHeaders().lastHeader(NotificationSource.HEADER) == null) {
            metrics.published(NotificationSource.KAFKA);
        }
        broadcaster.broadcast(Notification.of(request, record.getPartition(), record.getOffset(), record.getTimestamp()),
                record.getPartition(), record.getOffset());
        return Uni.createFrom().completionStage(record.ack());
    }
}
