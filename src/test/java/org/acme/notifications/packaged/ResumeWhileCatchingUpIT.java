package org.acme.notifications.packaged;

import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A client resuming on an instance that has not reached its id yet: one still loading its history (Kafka
 * is down while it starts), and a replica that lags behind the one the client came from. Either way the
 * socket waits and then gets exactly what followed its id; it is never told the id is unknown.
 */
class ResumeWhileCatchingUpIT {

    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-catching-up-it");

    @BeforeAll
    static void startBroker() {
        BROKER.start();
    }

    @AfterAll
    static void stopBroker() {
        BROKER.stop();
    }

    @Test
    void aResumeWhileTheHistoryLoadsWaitsForItAndReadinessStaysDownMeanwhile() {
        String run = UUID.randomUUID().toString();
        List<String> sent = IntStream.range(0, 30).mapToObj(i -> "loading " + i + " " + run).toList();
        String since;
        try (ServiceProcess before = new ServiceProcess(BROKER.bootstrapServers(), "before-restart").start()) {
            before.awaitDelivering();
            try (SocketClient client = SocketClient.connectWithJdkClient(before.baseUri(), null)) {
                sent.forEach(message -> assertThat(before.publish(message).statusCode(), equalTo(202)));
                since = client.awaitNotification(sent.get(9)).get("id").asText();
                client.awaitNotification(sent.get(29));
            }
        }

        BROKER.stop(); // the next instance starts while Kafka is away: its history cannot load yet
        Map<String, String> patient = Map.of(
                "notifications.history.load-timeout", "90s", "notifications.history.catch-up-timeout", "90s");
        try (ServiceProcess starting = new ServiceProcess(BROKER.bootstrapServers(), "loading", patient).launch();
             SocketClient resumed = SocketClient.connectWithJdkClient(starting.baseUri(), null, since)) {
            assertThat(starting.readiness("notification-stream"), equalTo("DOWN"));

            BROKER.start();
            resumed.awaitFrame("the end of the replay", frame -> frame.path("type").asText().equals("resumed"));
            assertThat(resumed.messages(), equalTo(sent.subList(10, 30)));
            assertThat(resumed.controlTypes(), equalTo(List.of("resumed")));
            await("ready once the history is loaded").atMost(Duration.ofSeconds(30))
                    .until(() -> starting.readiness("notification-stream").equals("UP"));
        }
    }

    @Test
    void aReplicaThatLagsLetsTheClientWaitForItsId() {
        // The lagging replica fetches at most every 5 s: whatever was just published, it has not seen yet.
        Map<String, String> lagging = Map.of(
                "mp.messaging.incoming.notifications-in.fetch.min.bytes", "100000000",
                "mp.messaging.incoming.notifications-in.fetch.max.wait.ms", "5000");
        try (ServiceProcess ahead = new ServiceProcess(BROKER.bootstrapServers(), "ahead").start();
             ServiceProcess behind = new ServiceProcess(BROKER.bootstrapServers(), "behind", lagging).start()) {
            ahead.awaitDelivering();
            behind.awaitDelivering();
            String run = UUID.randomUUID().toString();
            List<String> sent = IntStream.range(0, 6).mapToObj(i -> "lagging " + i + " " + run).toList();
            try (SocketClient onAhead = SocketClient.connectWithJdkClient(ahead.baseUri(), null)) {
                sent.subList(0, 5).forEach(message -> assertThat(ahead.publish(message).statusCode(), equalTo(202)));
                onAhead.awaitNotification(sent.get(4));
                String previous = onAhead.notification(sent.get(1)).orElseThrow().get("id").asText();

                // The client saw up to #1 and moves to the lagging replica, which has not read #1 yet.
                try (SocketClient onBehind = SocketClient.connectWithJdkClient(behind.baseUri(), null, previous)) {
                    await("the socket to wait, or to be resumed at once").atMost(Duration.ofSeconds(5)).until(() ->
                            Metrics.value(behind.baseUri(), "notifications_waiting_sockets") == 1 || !onBehind.controlTypes().isEmpty());
                    assumeTrue(onBehind.controlTypes().isEmpty(),
                            "the lagging replica happened to fetch #1 already: nothing to wait for this time");
                    onBehind.awaitFrame("the end of the replay", frame -> frame.path("type").asText().equals("resumed"));
                    assertThat(ahead.publish(sent.get(5)).statusCode(), equalTo(202));
                    onBehind.awaitNotification(sent.get(5));
                    assertThat(onBehind.messages(), equalTo(sent.subList(2, 6)));
                    assertThat(onBehind.controlTypes(), equalTo(List.of("resumed")));
                }
            }
        }
    }
}
