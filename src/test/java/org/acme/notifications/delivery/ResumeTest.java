package org.acme.notifications.delivery;

import org.acme.notifications.kafka.KafkaClients;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
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

    @Test
    void noGapAndNoDuplicateAtTheSeamWhileNotificationsFlow() throws Exception {
        try (SocketClient first = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(first);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("start " + run);
            String since = first.awaitNotification("start " + run).get("id").asText();
            List<String> sent = IntStream.range(0, 200).mapToObj(i -> "flow " + i + " " + run).toList();

            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                for (int i = 0; i < 100; i++) {
                    producer.send(KafkaClients.textRecord(sent.get(i)));
                }
                producer.flush();
                // Join while the first half is being delivered and the second half is being written.
                try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                    for (int i = 100; i < 200; i++) {
                        producer.send(KafkaClients.textRecord(sent.get(i)));
                    }
                    producer.flush();
                    resumed.awaitNotification(sent.get(199));
                    assertThat(resumed.messages(), equalTo(sent));
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
