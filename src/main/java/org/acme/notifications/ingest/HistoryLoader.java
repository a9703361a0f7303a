package org.acme.notifications.ingest;

import io.netty.buffer.ByteBuf;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.NotificationId;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.history.ReceivedNotification;
import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * At start-up, reads the last notifications of the topic from Kafka into the broadcaster's history,
 * so that a client can resume after this instance restarted (or on another replica). The live
 * consumer then starts exactly where this read stopped: no gap between history and live stream.
 *
 * <p>The load has one deadline, {@code notifications.history.load-timeout} from start-up. The live consumer
 * waits for it until then (and a second more); if it gives up, it starts without history, and a load that
 * finishes later is dropped rather than mixed into the live history.
 */
@ApplicationScoped
public class HistoryLoader {

    private static final Logger LOG = Logger.getLogger(HistoryLoader.class);
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final Map<String, Object> kafkaConfig;
    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final IdempotencyWindow idempotency;
    private final FrameEncoder encoder;
    private final NotificationsConfig config;
    // Empty when there is no history: not read by the deadline, or the read failed.
    private final CompletableFuture<Optional<Map<Integer, Long>>> loadedUpTo = new CompletableFuture<>();
    private final Instant deadline;

    public HistoryLoader(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
                         NotificationRequestParser parser, NotificationBroadcaster broadcaster, IdempotencyWindow idempotency,
                         FrameEncoder encoder, NotificationsConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.idempotency = idempotency;
        this.encoder = encoder;
        this.config = config;
        this.deadline = Instant.now().plus(config.history().loadTimeout());
    }

    void load(@Observes StartupEvent event) {
        // Off the start-up path: the service is up at once, and the live consumer waits for this.
        Thread loader = new Thread(this::load, "history-loader");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Per partition, the offset the history was read up to (exclusive), where live consumption starts;
     * empty when there is no history (not read by the deadline, or the read failed). Blocks until then at most.
     */
    Optional<Map<Integer, Long>> awaitLoaded() {
        Duration left = Duration.between(Instant.now(), deadline.plus(GRACE));
        try {
            return loadedUpTo.get(Math.max(0, left.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (loadedUpTo) {
                if (loadedUpTo.complete(Optional.empty())) {
                    LOG.warnf("The recent notifications were not loaded from Kafka by the deadline (%s); clients that "
                            + "reconnect now resume only from what arrives from here on", config.history().loadTimeout());
                }
            }
            return loadedUpTo.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.empty(); // never completed exceptionally
        }
    }

    /**
     * Reads and encodes the history, off every lock, then hands it over whole. Whatever fails on the way (Kafka, or
     * memory for the frames) hands over nothing: the live stream then starts at the latest offsets, and a resume from
     * before that start is told of its gap ({@code history-gap}), never resumed as if nothing were missing.
     */
    private void load() {
        long started = System.nanoTime();
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            consumer = new KafkaConsumer<>(consumerConfig());
            HistoryReader.Read read = new HistoryReader(consumer, deadline, Clock.systemUTC())
                    .read(config.topic(), config.history().size(), config.history().maxBytes().asLongValue(), this::toNotification);
            List<ReceivedNotification> notifications = read.notifications();
            List<ByteBuf> frames = encoder.history(notifications.stream().map(ReceivedNotification::notification).toList());
            List<RecentNotifications.Entry> entries = RecentNotifications.Entry.of(notifications, frames);
            if (handOver(read.startsAt(), entries, read.upTo())) {
                LOG.infof("Loaded %d recent notifications from Kafka in %d ms; clients can resume from them",
                        entries.size(), Duration.ofNanos(System.nanoTime() - started).toMillis());
            } else {
                LOG.warnf("Dropped %d recent notifications loaded from Kafka after the deadline: the live stream had started "
                        + "without them", entries.size());
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // An OutOfMemoryError here is the frames' direct memory: the load is given up, the service goes on.
            LOG.warnf("Could not load the recent notifications from Kafka (%s); clients that reconnect now "
                    + "resume only from what arrives from here on, and are told of the gap", e.toString());
            giveUp();
        } finally {
            if (consumer != null) {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(1))); // after the hand-over: closing may wait on Kafka
            }
        }
    }

    /**
     * Null for a record that is not a notification (the live consumer dead-lettered it when it came in), and for a
     * repeat of a keyed one (it dropped that): each partition is read in order, as the live consumer reads it, and the
     * keys read fill the idempotency window.
     */
    private ReceivedNotification toNotification(ConsumerRecord<byte[], byte[]> record) {
        Instant timestamp = Instant.ofEpochMilli(record.timestamp());
        Notification notification;
        try {
            notification = Notification.of(parser.fromRecordValue(record.value()), record.partition(), record.offset(), timestamp);
        } catch (InvalidNotificationException notANotification) {
            return null;
        }
        IdempotencyKey key = IdempotencyKey.of(record.headers());
        if (key != null && !idempotency.firstRead(key, new NotificationId(record.partition(), record.offset()), timestamp,
                IdempotencyKey.fingerprint(record.value()))) {
            return null;
        }
        return new ReceivedNotification(notification, record.partition(), record.offset());
    }

    /** Gives the history to the broadcaster unless the live consumer gave up waiting; false when it did. */
    private boolean handOver(Map<Integer, Long> startsAt, List<RecentNotifications.Entry> entries, Map<Integer, Long> upTo) {
        synchronized (loadedUpTo) {
            if (loadedUpTo.isDone()) {
                return false;
            }
            broadcaster.loadHistory(startsAt, entries);
            loadedUpTo.complete(Optional.of(upTo));
            return true;
        }
    }

    /** No history: the live consumer need not wait for the deadline. */
    private void giveUp() {
        synchronized (loadedUpTo) {
            loadedUpTo.complete(Optional.empty());
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> consumerConfig = new HashMap<>(kafkaConfig);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "notifications-history");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return consumerConfig;
    }
}
