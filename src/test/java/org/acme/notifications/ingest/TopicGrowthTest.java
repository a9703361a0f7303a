package org.acme.notifications.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.NotificationId;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

/**
 * Partitions added to the topic while the service runs (what {@code kafka-topics --alter --partitions} does, through
 * the same Admin API): what is written to them before this instance's consumer notices them is delivered all the
 * same, and a client that already has an id of a new partition (from a replica that noticed first) waits for it
 * instead of being told its id is unknown. The consumer refreshes its metadata every 2 s here (5 min by default).
 */
@QuarkusTest
@TestProfile(TopicGrowthTest.LongCatchUp.class)
@WithTestResource(KafkaBrokerResource.class)
class TopicGrowthTest {

    public static class LongCatchUp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.history.catch-up-timeout", "60s",
                    "mp.messaging.incoming.notifications-in.metadata.max.age.ms", "2000");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void recordsOnPartitionsAddedAtRuntimeReachLiveAndResumingSockets() throws Exception {
        try (SocketClient live = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(live);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("before growing " + run);
            NotificationId lastOfFirst = NotificationId.parse(live.awaitNotification("before growing " + run).get("id").asText());

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
                admin.createPartitions(Map.of("notifications", NewPartitions.increaseTo(3))).all().get();
            }
            List<String> sent = new ArrayList<>();
            List<RecordMetadata> written = new ArrayList<>();
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                for (int i = 0; i < 30; i++) {
                    String message = "on a new partition " + i + " " + run;
                    sent.add(message);
                    written.add(producer.send(new ProducerRecord<>("notifications", 1 + i % 2, null,
                            message.getBytes(StandardCharsets.UTF_8))).get());
                }
            }
            // Right away, before this instance's consumer has seen the new partitions: the ids of the first record of
            // each, as a client that came from a replica that is further on would have them.
            String since = lastOfFirst + "," + new NotificationId(1, written.get(0).offset()) + ","
                    + new NotificationId(2, written.get(1).offset());
            try (SocketClient resuming = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                JsonNode resumed = resuming.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));

                assertThat(resuming.controlTypes(), equalTo(List.of("resumed")));
                assertThat(resumed.path("replayed").asInt(), equalTo(28));
                assertThat(resuming.messages(), containsInAnyOrder(sent.subList(2, 30).toArray()));
            }
            await("all 30 at the live socket").atMost(Duration.ofSeconds(30))
                    .until(() -> live.messages().containsAll(sent));
        }
    }

    /**
     * A partition the topic does not have is waited for no more than a new one would be: Kafka is asked at once, and
     * the client is told which of its ids is in no partition ({@code unknown}), to forget that one and keep the others;
     * it is then resumed from the others.
     */
    @Test
    void anIdOfAPartitionTheTopicDoesNotHaveIsUnknownAtOnceAndTheOthersResume() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("before " + run);
            String last = watcher.awaitNotification("before " + run).get("id").asText();
            Pipeline.publish("missed 1 " + run);
            Pipeline.publish("missed 2 " + run);
            watcher.awaitNotification("missed 2 " + run);
            String since = last + ",99-3";
            try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                client.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));

                assertThat(client.controlTypes(), equalTo(List.of("unknown-id", "resumed")));
                JsonNode unknown = client.frames().get(0);
                assertThat(unknown.path("since").asText(), equalTo(since));
                assertThat(unknown.path("unknown").size(), equalTo(1));
                assertThat(unknown.path("unknown").get(0).asText(), equalTo("99-3"));
                assertThat(client.messages().stream().filter(message -> message.endsWith(run)).toList(),
                        equalTo(List.of("missed 1 " + run, "missed 2 " + run)));
            }
        }
    }
}
