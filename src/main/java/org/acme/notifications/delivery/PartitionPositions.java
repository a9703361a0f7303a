package org.acme.notifications.delivery;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The next offset this instance delivers, per partition of the notifications topic.
 *
 * <p>Each instance has a consumer group of its own and commits nothing, so when a rebalance
 * re-assigns a partition (after a broker restart, say) Kafka has no position for it and would jump
 * to the latest offset, skipping whatever was written meanwhile. Keeping the position here instead
 * makes a rebalance neither skip nor repeat a record.
 */
@ApplicationScoped
@Identifier(PartitionPositions.NAME)
public class PartitionPositions implements KafkaConsumerRebalanceListener {

    /** Named by {@code consumer-rebalance-listener.name} in application.properties. */
    static final String NAME = "notifications-positions";

    private final Map<Integer, Long> next = new ConcurrentHashMap<>();
    private final HistoryLoader history;
    private final NotificationBroadcaster broadcaster;

    public PartitionPositions(HistoryLoader history, NotificationBroadcaster broadcaster) {
        this.history = history;
        this.broadcaster = broadcaster;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<Integer, Long> firstAssigned = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long known = next.get(partition.partition());
            if (known == null) {
                // First assignment: start where the history read at start-up stopped or, without one,
                // where auto.offset.reset (latest) puts us; and remember it.
                known = history.awaitLoaded().get(partition.partition());
                if (known == null) {
                    known = consumer.position(partition);
                }
                next.put(partition.partition(), known);
                firstAssigned.put(partition.partition(), known);
            }
            consumer.seek(partition, known);
        }
        if (!firstAssigned.isEmpty()) {
            broadcaster.streamStartsAt(firstAssigned);
        }
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
