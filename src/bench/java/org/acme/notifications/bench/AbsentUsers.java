package org.acme.notifications.bench;

import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A steady stream of notifications for users with no socket open, straight into the topic, beside a measured run
 * ({@code --absent-rate R} per second): with the inbox on, the service stores them while it delivers the measured ones;
 * with it off, it reads and skips them. Comparing the two shows what storing costs live delivery.
 */
final class AbsentUsers {

    private static final int USERS = 10_000;

    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean stopped;

    private AbsentUsers(String bootstrapServers, String topic, double perSecond) {
        this.thread = new Thread(() -> produce(bootstrapServers, topic, perSecond), "absent-users");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts producing, or returns null when {@code perSecond} is 0. */
    static AbsentUsers start(String bootstrapServers, String topic, double perSecond) {
        return perSecond > 0 ? new AbsentUsers(bootstrapServers, topic, perSecond) : null;
    }

    private void produce(String bootstrapServers, String topic, double perSecond) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            long start = System.nanoTime();
            for (long i = 0; !stopped; i++) {
                LockSupport.parkNanos(start + (long) (i * 1e9 / perSecond) - System.nanoTime());
                String user = "absent-user-" + (i % USERS);
                String value = new JsonObject().put("message", "Invoice " + i + " is ready").put("user", user).encode();
                producer.send(new ProducerRecord<>(topic, "user:" + user, value));
                sent.incrementAndGet();
            }
        }
    }

    /** Stops producing; returns how many were sent. */
    long stop() throws InterruptedException {
        stopped = true;
        thread.join(TimeUnit.SECONDS.toMillis(30));
        return sent.get();
    }
}
