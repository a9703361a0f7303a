package org.acme.notifications.history;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.is;

/** A client reconnecting with ?since=<id> gets what it missed, in order, once, then the live stream. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class ResumeTest {

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void resumeReplaysWhatWasMissedThenGoesLive() {
        try (SocketClient first = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(first);
            String run = UUID.randomUUID().toString();
            List<String> sent = IntStream.range(0, 5).mapToObj(i -> "missed " + i + " " + run).toList();
            sent.forEach(Pipeline::publish);
            String since = first.awaitNotification(sent.get(1)).get("id").asText();
            first.awaitNotification(sent.get(4));

            try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                JsonNode control = resumed.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
                assertThat(control.get("replayed").asInt(), equalTo(3));
                String live = "live " + run;
                Pipeline.publish(live);
                resumed.awaitNotification(live);

                assertThat(resumed.messages(), equalTo(List.of(sent.get(2), sent.get(3), sent.get(4), live)));
                assertThat(resumed.controlTypes(), equalTo(List.of("resumed")));
            }
        }
    }

    /**
     * A client joins while 2,000 records flow in one by one: part of them reach it in its replay, the rest live
     * (the replay count shows the join fell inside the flow), and together they are every record, in order, once.
     */
    @Test
    void noGapAndNoDuplicateAtTheSeamWhileNotificationsFlow() throws Exception {
        try (SocketClient first = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(first);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("start " + run);
            String since = first.awaitNotification("start " + run).get("id").asText();
            List<String> sent = IntStream.range(0, 2000).mapToObj(i -> "flow " + i + " " + run).toList();

            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                CompletableFuture<Void> flow = CompletableFuture.runAsync(() -> {
                    for (String message : sent) {
                        try {
                            producer.send(KafkaClients.textRecord(message)).get(); // one at a time: a steady flow
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }, runnable -> new Thread(runnable, "steady-producer").start());
                first.awaitNotification(sent.get(100));
                try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                    JsonNode end = resumed.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
                    flow.get();
                    resumed.awaitNotification(sent.get(1999));

                    assertThat(resumed.messages(), equalTo(sent));
                    assertThat(end.get("replayed").asInt(), allOf(greaterThan(100), lessThan(2000)));
                }
            }
        }
    }

    @Test
    void anIdThatIsNotFromThisStreamIsSaidSoAndTheStreamContinues() {
        try (SocketClient first = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(first);
            // Malformed, and a partition the topic does not have: no retry can change that answer.
            for (String since : new String[] {"garbage", "0-", "-1", "7-1"}) {
                try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                    JsonNode control = client.awaitFrame("an unknown-id frame", f -> f.path("type").asText().equals("unknown-id"));
                    assertThat(control.get("since").asText(), equalTo(since));
                    assertThat(control.has("message"), is(false));
                    String live = "after an unknown id " + UUID.randomUUID();
                    Pipeline.publish(live);
                    client.awaitNotification(live);
                }
            }
        }
    }
}
