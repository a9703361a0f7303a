package org.acme.notifications.ingest;

import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.history.ReceivedNotification;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link HistoryReader} against Kafka's own {@link MockConsumer}, on a clock the test moves: every call to
 * the "broker" takes a set time, and fails like a real client when its timeout is shorter than that.
 */
class HistoryReaderTest {

    private static final String TOPIC = "notifications";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    @Test
    void readsTheLastRecordsOfEachPartitionAndSaysWhereItStartedAndStopped() {
        SlowBroker broker = new SlowBroker(Duration.ZERO, 10);

        HistoryReader.Read read = new HistoryReader(broker, broker.now().plusSeconds(15), broker.clock())
                .read(TOPIC, 4, Long.MAX_VALUE, HistoryReaderTest::notification);

        assertEquals(List.of(6L, 7L, 8L, 9L), read.notifications().stream().map(ReceivedNotification::offset).toList());
        assertEquals(Map.of(0, 6L), read.startsAt());
        assertEquals(Map.of(0, 10L), read.upTo());
    }

    @Test
    void oneDeadlineForTheWholeReadNotOneTimeoutPerCall() {
        // Each call takes 6 s: within a 15 s timeout on its own, three of them are not.
        SlowBroker broker = new SlowBroker(Duration.ofSeconds(6), 10);
        Instant deadline = broker.now().plusSeconds(15);

        assertThrows(TimeoutException.class,
                () -> new HistoryReader(broker, deadline, broker.clock()).read(TOPIC, 4, Long.MAX_VALUE, HistoryReaderTest::notification));
        assertEquals(deadline, broker.now(), "gave up at the deadline, not after it");
    }

    /**
     * Twelve partitions of 20 records each, written round-robin (record {@code i} at time {@code i}): a history of 50
     * holds the newest 50 of all of them, not 50 of each, and each partition's start moves past what was left out.
     */
    @Test
    void theBoundIsOnTheWholeReadNotOnEachPartition() {
        MockConsumer<byte[], byte[]> broker = twelvePartitions(20, 100);

        HistoryReader.Read read = new HistoryReader(broker, Instant.now().plusSeconds(15), Clock.systemUTC())
                .read(TOPIC, 50, Long.MAX_VALUE, HistoryReaderTest::notification);

        assertEquals(50, read.notifications().size());
        assertEquals(java.util.stream.LongStream.range(240 - 50, 240).boxed().toList(),
                read.notifications().stream().map(each -> each.notification().timestamp().toEpochMilli()).toList());
        for (int partition = 0; partition < 12; partition++) {
            int p = partition;
            long first = read.notifications().stream().filter(each -> each.partition() == p)
                    .mapToLong(ReceivedNotification::offset).min().orElseThrow();
            assertEquals(first, read.startsAt().get(p), "partition " + p + " starts at its first kept");
        }
    }

    /** The same, bounded by bytes: records of 100 bytes, at most 1,000 bytes: the newest 10. */
    @Test
    void theBytesOfTheWholeReadAreBoundedToo() {
        MockConsumer<byte[], byte[]> broker = twelvePartitions(20, 100);

        HistoryReader.Read read = new HistoryReader(broker, Instant.now().plusSeconds(15), Clock.systemUTC())
                .read(TOPIC, 10_000, 1_000, HistoryReaderTest::notification);

        assertEquals(java.util.stream.LongStream.range(230, 240).boxed().toList(),
                read.notifications().stream().map(each -> each.notification().timestamp().toEpochMilli()).toList());
    }

    /** Record {@code i} of the topic goes to partition {@code i % 12}, at time {@code i}, with {@code bytes} of value. */
    private static MockConsumer<byte[], byte[]> twelvePartitions(int perPartition, int bytes) {
        MockConsumer<byte[], byte[]> broker = new MockConsumer<>("earliest");
        List<PartitionInfo> infos = new java.util.ArrayList<>();
        Map<TopicPartition, Long> beginnings = new java.util.HashMap<>();
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        for (int partition = 0; partition < 12; partition++) {
            infos.add(new PartitionInfo(TOPIC, partition, null, null, null));
            beginnings.put(new TopicPartition(TOPIC, partition), 0L);
            ends.put(new TopicPartition(TOPIC, partition), (long) perPartition);
        }
        broker.updatePartitions(TOPIC, infos);
        broker.updateBeginningOffsets(beginnings);
        broker.updateEndOffsets(ends);
        broker.schedulePollTask(() -> {
            for (int i = 0; i < 12 * perPartition; i++) {
                int partition = i % 12;
                long offset = i / 12;
                if (broker.position(new TopicPartition(TOPIC, partition)) <= offset) {
                    broker.addRecord(new ConsumerRecord<>(TOPIC, partition, offset, i, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                            0, bytes, null, new byte[bytes], new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty()));
                }
            }
        });
        return broker;
    }

    @Test
    void partitionsAreInterleavedByTimestampEachInOffsetOrder() {
        List<ReceivedNotification> polled = List.of(
                notification(0, 0, 100), notification(0, 1, 300), notification(0, 2, 250), // a producer's clock may step back
                notification(1, 0, 200), notification(1, 1, 400));

        List<String> order = HistoryReader.inArrivalOrder(polled).stream().map(each -> each.notification().id()).toList();

        assertEquals(List.of("0-0", "1-0", "0-1", "0-2", "1-1"), order);
    }

    private static ReceivedNotification notification(int partition, long offset, long timestamp) {
        return new ReceivedNotification(Notification.of(new NotificationRequest("history " + offset, null, null, null, null, null, null), partition, offset,
                Instant.ofEpochMilli(timestamp)), partition, offset);
    }

    private static ReceivedNotification notification(ConsumerRecord<byte[], byte[]> record) {
        return notification(record.partition(), record.offset(), record.timestamp());
    }

    /** A consumer whose metadata and offset calls each take {@code callTime} on a clock of its own. */
    private static final class SlowBroker extends MockConsumer<byte[], byte[]> {
        private final Duration callTime;
        private Instant now = Instant.parse("2026-11-26T00:00:00Z");

        SlowBroker(Duration callTime, int records) {
            super("earliest");
            this.callTime = callTime;
            updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
            updateBeginningOffsets(Map.of(PARTITION, 0L));
            updateEndOffsets(Map.of(PARTITION, (long) records));
            schedulePollTask(() -> {
                for (long offset = 6; offset < records; offset++) {
                    addRecord(new ConsumerRecord<>(TOPIC, 0, offset, null, ("history " + offset).getBytes()));
                }
            });
        }

        Instant now() {
            return now;
        }

        Clock clock() {
            return new Clock() {
                public Instant instant() {
                    return now;
                }

                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }
            };
        }

        private void take(Duration timeout) {
            if (timeout.compareTo(callTime) < 0) {
                now = now.plus(timeout);
                throw new TimeoutException("no answer within " + timeout);
            }
            now = now.plus(callTime);
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
            take(timeout);
            return super.partitionsFor(topic, timeout);
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
            take(timeout);
            return super.endOffsets(partitions, timeout);
        }

        @Override
        public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
            take(timeout);
            return super.beginningOffsets(partitions, timeout);
        }
    }
}
