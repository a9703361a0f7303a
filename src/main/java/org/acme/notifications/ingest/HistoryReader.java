package org.acme.notifications.ingest;

import org.acme.notifications.history.ReceivedNotification;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads the last records of each partition of a topic, within one deadline for the whole read: every
 * call to Kafka gets only the time that is left, so the read never outlives its deadline.
 */
final class HistoryReader {

    /** The notifications read, in arrival order, and where each partition's read started and stopped (exclusive). */
    record Read(List<ReceivedNotification> notifications, Map<Integer, Long> startsAt, Map<Integer, Long> upTo) {
    }

    private final Consumer<byte[], byte[]> consumer;
    private final Instant deadline;
    private final Clock clock;

    HistoryReader(Consumer<byte[], byte[]> consumer, Instant deadline, Clock clock) {
        this.consumer = consumer;
        this.deadline = deadline;
        this.clock = clock;
    }

    /**
     * The newest notifications of the topic, at most {@code maxCount} and about {@code maxBytes} (of record values)
     * in all, whatever the number of partitions; each record is made a notification as it is read (null for one that
     * is not: only notifications are kept). While reading, the oldest (by timestamp, each partition from its first
     * offset on) are dropped as newer ones come, so no more than the bound and one poll is ever held; each
     * partition's {@code startsAt} moves past what was dropped. A {@link TimeoutException} past the deadline.
     */
    Read read(String topic, int maxCount, long maxBytes, Function<ConsumerRecord<byte[], byte[]>, ReceivedNotification> toNotification) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, left()).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        if (partitions.isEmpty()) {
            return new Read(List.of(), Map.of(), Map.of());
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, left());
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, left());
        consumer.assign(partitions);
        Map<Integer, Long> startsAt = new HashMap<>();
        for (TopicPartition partition : partitions) {
            long start = Math.max(beginning.get(partition), end.get(partition) - maxCount);
            consumer.seek(partition, start);
            startsAt.put(partition.partition(), start);
        }
        Kept kept = new Kept(maxCount, maxBytes, startsAt);
        while (partitions.stream().anyMatch(partition -> consumer.position(partition, left()) < end.get(partition))) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(min(left(), Duration.ofMillis(200)))) {
                ReceivedNotification notification = record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))
                        ? toNotification.apply(record) : null;
                if (notification != null) {
                    kept.add(notification, Math.max(0, record.serializedValueSize()));
                }
            }
        }
        Map<Integer, Long> upTo = new HashMap<>();
        end.forEach((partition, offset) -> upTo.put(partition.partition(), offset));
        return new Read(inArrivalOrder(kept.all()), startsAt, upTo);
    }

    /** The notifications read so far, per partition in offset order, within the bounds. */
    private static final class Kept {
        private record Item(ReceivedNotification notification, int bytes) {
        }

        private final int maxCount;
        private final long maxBytes;
        private final Map<Integer, Long> startsAt;
        private final Map<Integer, ArrayDeque<Item>> byPartition = new HashMap<>();
        // The partitions that hold any, the one whose first is oldest first: where the next drop comes from.
        private final PriorityQueue<ArrayDeque<Item>> oldestFirst = new PriorityQueue<>(
                Comparator.comparing((ArrayDeque<Item> queue) -> queue.peek().notification().notification().timestamp())
                        .thenComparingInt(queue -> queue.peek().notification().partition()));
        private int count;
        private long bytes;

        Kept(int maxCount, long maxBytes, Map<Integer, Long> startsAt) {
            this.maxCount = maxCount;
            this.maxBytes = maxBytes;
            this.startsAt = startsAt;
        }

        void add(ReceivedNotification notification, int size) {
            ArrayDeque<Item> partition = byPartition.computeIfAbsent(notification.partition(), ignored -> new ArrayDeque<>());
            boolean wasEmpty = partition.isEmpty();
            partition.addLast(new Item(notification, size)); // a new last: the first, which orders the queue, stays
            if (wasEmpty) {
                oldestFirst.add(partition);
            }
            count++;
            bytes += size;
            while (count > maxCount || bytes > maxBytes) {
                ArrayDeque<Item> oldest = oldestFirst.poll();
                Item dropped = oldest.removeFirst();
                count--;
                bytes -= dropped.bytes();
                startsAt.put(dropped.notification().partition(), dropped.notification().offset() + 1);
                if (!oldest.isEmpty()) {
                    oldestFirst.add(oldest);
                }
            }
        }

        List<ReceivedNotification> all() {
            List<ReceivedNotification> all = new ArrayList<>(count);
            byPartition.values().forEach(partition -> partition.forEach(item -> all.add(item.notification())));
            return all;
        }
    }

    /**
     * The notifications as a live consumer would most likely have received them: each partition in offset order,
     * the partitions interleaved by timestamp (a poll returns them partition by partition). A resume that names
     * some partitions only counts on this order for the others (RecentNotifications#after).
     */
    static List<ReceivedNotification> inArrivalOrder(List<ReceivedNotification> notifications) {
        Map<Integer, ArrayDeque<ReceivedNotification>> byPartition = new TreeMap<>();
        notifications.stream().sorted(Comparator.comparingLong(ReceivedNotification::offset))
                .forEach(each -> byPartition.computeIfAbsent(each.partition(), partition -> new ArrayDeque<>()).add(each));
        PriorityQueue<ArrayDeque<ReceivedNotification>> heads = new PriorityQueue<>(
                Comparator.comparing((ArrayDeque<ReceivedNotification> queue) -> queue.peek().notification().timestamp())
                        .thenComparingInt(queue -> queue.peek().partition()));
        heads.addAll(byPartition.values());
        List<ReceivedNotification> merged = new ArrayList<>(notifications.size());
        while (!heads.isEmpty()) {
            ArrayDeque<ReceivedNotification> head = heads.poll();
            merged.add(head.poll());
            if (!head.isEmpty()) {
                heads.add(head);
            }
        }
        return merged;
    }

    private Duration left() {
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero()) {
            throw new TimeoutException("history not read by its deadline");
        }
        return left;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }
}
