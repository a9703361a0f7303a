package org.acme.notifications.delivery;

import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequest;
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
                .read(TOPIC, 4, HistoryReaderTest::notification);

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
                () -> new HistoryReader(broker, deadline, broker.clock()).read(TOPIC, 4, HistoryReaderTest::notification));
        assertEquals(deadline, broker.now(), "gave up at the deadline, not after it");
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
        return new ReceivedNotification(Notification.of(new NotificationRequest("history " + offset, null, null, null, null), partition, offset,
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
