package org.acme.notifications.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.inject.Inject;
import org.acme.notifications.NotificationId;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.empty;

/**
 * A {@code since} id this instance has not reached yet (a client coming from a replica that is ahead)
 * is waited for, not answered with {@code unknown-id}: once the instance gets there, the socket is
 * replayed what follows it and goes live. Past the catch-up timeout (8 s here), an id that is in the
 * topic but not reached closes the socket with 4009 (retry); one beyond the end of the topic is unknown.
 */
@QuarkusTest
@TestProfile(ResumeAheadTest.ShortCatchUp.class)
@WithTestResource(KafkaBrokerResource.class)
class ResumeAheadTest {

    public static class ShortCatchUp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.history.catch-up-timeout", "8s");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    KafkaClientService kafka;

    @Test
    void anIdAheadOfThisInstanceIsWaitedForThenResumedExactly() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            String ahead = twoRecordsAhead(watcher, run);

            try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + ahead))) {
                List<String> sent = IntStream.range(1, 5).mapToObj(i -> "after " + i + " " + run).toList();
                sent.forEach(Pipeline::publish);
                resumed.awaitNotification(sent.get(3));

                assertThat(resumed.messages(), equalTo(sent.subList(2, 4)));
                assertThat(resumed.controlTypes(), equalTo(List.of("resumed")));
                assertThat(resumed.frames().get(0).path("since").asText(), equalTo(ahead));
            }
        }
    }

    /** What a waiting socket subscribes to is part of its resume, answered before its replay, as at connect. */
    @Test
    void aChannelJoinedWhileWaitingIsAnsweredWithTheReplay() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            String ahead = twoRecordsAhead(watcher, run);

            try (SocketClient resumed = SocketClient.connectWithToken(baseUri, null, "?since=" + ahead)) {
                resumed.send(Json.object("type", "subscribe", "channel", "lobby-" + run));
                Pipeline.publish("first " + run);
                Pipeline.publish("second " + run);
                Pipeline.publishJson(Json.object("message", "lobby " + run, "channel", "lobby-" + run));
                resumed.awaitNotification("lobby " + run);

                JsonNode answer = resumed.frames().get(0);
                assertThat(answer.path("type").asText(), equalTo("subscribed"));
                assertThat(answer.has("after"), equalTo(false));
                assertThat(resumed.messages(), equalTo(List.of("lobby " + run)));
            }
        }
    }

    @Test
    void anIdInTheTopicThatThisInstanceHasNotReachedInTimeClosesTheSocketWith4009() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            KafkaConsumer<Object, Object> consumer = kafka.getConsumer("notifications-in");
            consumer.pause().await().atMost(SocketClient.DELIVERY_TIMEOUT);
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                // Written, so the id exists; this instance does not read it while its consumer is paused.
                RecordMetadata written = producer.send(KafkaClients.textRecord("not read yet " + UUID.randomUUID())).get();
                try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=" + written.partition() + "-" + written.offset()))) {
                    await("a 4009 close").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> client.closeCode().isPresent());
                    assertThat(client.closeCode().orElseThrow(), equalTo(4009));
                    assertThat(client.frames(), empty());
                }
            } finally {
                consumer.resume().await().atMost(SocketClient.DELIVERY_TIMEOUT);
            }
        }
    }

    /**
     * A socket that waits for its {@code since} is answered at once, through the same bounded outbox as a live one:
     * its answers do not pile up until it goes live.
     */
    @Test
    void aWaitingSocketIsAnsweredAtOnce() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            KafkaConsumer<Object, Object> consumer = kafka.getConsumer("notifications-in");
            consumer.pause().await().atMost(SocketClient.DELIVERY_TIMEOUT);
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                RecordMetadata written = producer.send(KafkaClients.textRecord("not read yet " + UUID.randomUUID())).get();
                String since = written.partition() + "-" + written.offset();
                try (SocketClient waiting = SocketClient.connectWithToken(baseUri, null, "?since=" + since)) {
                    waiting.send(Json.object("type", "unsubscribe", "channel", "lobby-left"));

                    waiting.awaitFrame("the answer", f -> f.path("type").asText().equals("unsubscribed"));
                    assertThat(waiting.controlTypes(), equalTo(List.of("unsubscribed")));
                    assertThat(waiting.isOpen(), equalTo(true));
                }
            } finally {
                consumer.resume().await().atMost(SocketClient.DELIVERY_TIMEOUT);
            }
        }
    }

    @Test
    void anIdBeyondTheEndOfTheTopicIsUnknownOnceTheWaitIsOver() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=0-999999999"))) {
                client.awaitFrame("an unknown-id frame", f -> f.path("type").asText().equals("unknown-id"));
                String live = "live after an id beyond the topic " + UUID.randomUUID();
                Pipeline.publish(live);
                client.awaitNotification(live);
                assertThat(client.controlTypes(), equalTo(List.of("unknown-id")));
            }
        }
    }

    /** Publishes a record and returns the id two records after it: an id that exists nowhere yet. */
    private static String twoRecordsAhead(SocketClient watcher, String run) {
        Pipeline.publish("before " + run);
        NotificationId last = NotificationId.parse(watcher.awaitNotification("before " + run).get("id").asText());
        return new NotificationId(last.partition(), last.offset() + 2).toString();
    }
}
