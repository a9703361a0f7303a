package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

/**
 * SIGKILL while notifications flow: after a restart, a client that resumes with the last id it saw
 * gets every notification that was answered 202, once. Counted, not sampled.
 */
class CrashRecoveryIT {

    @Test
    void everyAcceptedNotificationReachesAClientThatResumesAfterTheServiceWasKilled() throws Exception {
        KafkaBrokerProcess broker = KafkaBrokerProcess.fresh("kafka-crash-it");
        broker.start();
        try (ServiceProcess service = new ServiceProcess(broker.bootstrapServers(), "crash").start()) {
            service.awaitDelivering();
            String run = UUID.randomUUID().toString();
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean publishing = new AtomicBoolean(true);
            SocketClient beforeCrash = SocketClient.connectWithJdkClient(service.baseUri(), null);

            // Publishes without pause, before, during and after the crash; only a 202 counts as accepted.
            Thread publisher = new Thread(() -> {
                while (publishing.get()) {
                    String message = run + " #" + sent.getAndIncrement();
                    HttpResponse<String> response = service.publish(message);
                    if (response != null && response.statusCode() == 202) {
                        acknowledged.add(message);
                    }
                }
            }, "publisher");
            publisher.start();

            await("notifications flowing").until(() -> messagesOf(beforeCrash, run).count() >= 100);
            service.kill();
            int acknowledgedBeforeCrash = acknowledged.size();
            String lastSeen = lastIdOf(beforeCrash, run);

            service.start();
            int afterRestart = acknowledged.size();
            await("accepted again after the restart").until(() -> acknowledged.size() >= afterRestart + 100);
            publishing.set(false);
            publisher.join();

            try (SocketClient resumed = SocketClient.connectWithJdkClient(service.baseUri(), null, lastSeen)) {
                await("every accepted notification delivered").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat("accepted, not delivered; the resumed socket got " + resumed.frames().stream()
                                        .filter(frame -> frame.has("type")).toList(),
                                lost(acknowledged, delivered(beforeCrash, resumed, run)), empty()));
                Map<String, Integer> delivered = delivered(beforeCrash, resumed, run);
                Set<String> lost = lost(acknowledged, delivered);
                System.out.printf("Crash recovery: POSTs attempted %d, acknowledged %d (%d before the SIGKILL), delivered %d, lost %d%n",
                        sent.get(), acknowledged.size(), acknowledgedBeforeCrash, delivered.size(), lost.size());

                assertThat(acknowledgedBeforeCrash, greaterThan(0));
                assertThat(lost, empty());
                assertThat("no notification delivered twice across the restart",
                        delivered.values().stream().filter(count -> count > 1).count(), equalTo(0L));
            }
        } finally {
            broker.stop();
        }
    }

    private static Set<String> lost(Set<String> acknowledged, Map<String, Integer> delivered) {
        return acknowledged.stream().filter(message -> !delivered.containsKey(message)).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Stream<JsonNode> messagesOf(SocketClient client, String run) {
        return client.frames().stream().filter(frame -> frame.path("message").asText().startsWith(run));
    }

    private static String lastIdOf(SocketClient client, String run) {
        return messagesOf(client, run).reduce((first, second) -> second).orElseThrow().get("id").asText();
    }

    /** Each message of this run and how many times it reached the client, over both connections. */
    private static Map<String, Integer> delivered(SocketClient beforeCrash, SocketClient resumed, String run) {
        Map<String, Integer> counts = new HashMap<>();
        Stream.concat(messagesOf(beforeCrash, run), messagesOf(resumed, run))
                .forEach(frame -> counts.merge(frame.get("message").asText(), 1, Integer::sum));
        return counts;
    }
}
