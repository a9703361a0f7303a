package org.acme.notifications.testsupport;

import org.acme.notifications.kafka.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * The load of the slow-reader tests: 5,000 notifications of 4 KB, about 20 MB, more than the loopback buffers of a
 * client that stopped reading hold. They go out in steps of 100, each once the reading client got the step before, so
 * that a client that reads is never more than a step behind and only the stalled one crosses
 * {@code max-pending-frames} (300): sent in one burst, a busy machine could leave the reader 300 behind as well.
 */
public final class BacklogLoad {

    public static final int COUNT = 5000;
    private static final int STEP = 100;

    private BacklogLoad() {
    }

    /** Sends the load with messages tagged {@code run}; {@code delivered}: whether the reader got that message. */
    public static List<String> send(String bootstrapServers, String run, Predicate<String> delivered, Callable<Boolean> readerGone) {
        String big = "x".repeat(4000);
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            for (int i = 0; i < COUNT; i++) {
                String message = i + " " + run + " " + big;
                sent.add(message);
                producer.send(KafkaClients.textRecord(message));
                if (sent.size() % STEP == 0) {
                    producer.flush();
                    await("the reader got notification " + i).atMost(SocketClient.DELIVERY_TIMEOUT)
                            .pollInterval(Duration.ofMillis(10))
                            .failFast("the reading client was closed", readerGone)
                            .until(() -> delivered.test(message));
                }
            }
        }
        return sent;
    }
}
