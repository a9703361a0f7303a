package org.acme.notifications.ingest;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The next offset this instance delivers, per partition of the notifications topic.
 *
 * <p>Each instance has a consumer group of its own and commits nothing, so when a rebalance
 * re-assigns a partition (after a broker restart, say) Kafka has no position for it and would jump
 * to the latest offset, skipping whatever was written meanwhile. Keeping the position here instead
 * makes a rebalance neither skip nor repeat a record.
 *
 * <p>A partition first assigned without a place in the loaded history is new: added to the topic after the history
 * was read (the consumer notices within {@code metadata.max.age.ms}). It is read from its beginning, at most
 * {@code notifications.history.size} records back, so that what was written to it before this instance noticed is
 * delivered all the same. Only when there is no history at all (its load failed or timed out) do the partitions of the
 * first assignment start at the latest offset.
 */
@ApplicationScoped
@Identifier(PartitionPositions.NAME)
public class PartitionPositions implements KafkaConsumerRebalanceListener {

    /** Named by {@code consumer-rebalance-listener.name} in application.properties. */
    static final String NAME = "notifications-positions";
    private static final Logger LOG = Logger.getLogger(PartitionPositions.class);

    private final Map<Integer, Long> next = new ConcurrentHashMap<>();
    private final HistoryLoader history;
    private final NotificationBroadcaster broadcaster;
    private final int newPartitionRecords;
    private volatile boolean assignedBefore; // written and read on the consumer's thread; volatile for a new one after a restart

    @Inject
    public PartitionPositions(HistoryLoader history, NotificationBroadcaster broadcaster, NotificationsConfig config) {
        this(history, broadcaster, config.history().size());
    }

    /** {@code newPartitionRecords}: how far back a new partition is read from its end, at most. */
    PartitionPositions(HistoryLoader history, NotificationBroadcaster broadcaster, int newPartitionRecords) {
        this.history = history;
        this.broadcaster = broadcaster;
        this.newPartitionRecords = newPartitionRecords;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<Integer, Long> firstAssigned = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long known = next.get(partition.partition());
            if (known == null) {
                known = firstPosition(consumer, partition);
                next.put(partition.partition(), known);
                firstAssigned.put(partition.partition(), known);
            }
            consumer.seek(partition, known);
        }
        assignedBefore = true;
        if (!firstAssigned.isEmpty()) {
            broadcaster.streamStartsAt(firstAssigned);
        }
    }

    /**
     * Where the history read at start-up stopped; for a partition it has no place for, its beginning (bounded) if it
     * is new, or, without any history, where {@code auto.offset.reset} (latest) puts the consumer.
     */
    private long firstPosition(Consumer<?, ?> consumer, TopicPartition partition) {
        Optional<Map<Integer, Long>> loaded = history.awaitLoaded();
        Long fromHistory = loaded.map(upTo -> upTo.get(partition.partition())).orElse(null);
        if (fromHistory != null) {
            return fromHistory;
        }
        if (loaded.isEmpty() && !assignedBefore) {
            return consumer.position(partition);
        }
        long beginning = consumer.beginningOffsets(List.of(partition)).get(partition);
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        long start = Math.max(beginning, end - newPartitionRecords);
        LOG.infof("Partition %d of the topic is new to this instance: delivering it from offset %d (its end is %d)",
                partition.partition(), start, end);
        return start;
    }

    /** Records the delivery of a record; false when that record was delivered already. */
    boolean advance(int partition, long offset) {
        Long expected = next.get(partition);
        if (expected != null && offset < expected) {
            return false;
        }
        next.put(partition, offset + 1);
        return true;
    }
}
