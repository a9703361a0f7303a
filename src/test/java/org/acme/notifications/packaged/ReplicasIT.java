package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.access.ApiKeys;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

/**
 * Two instances of the service (two processes) behind one topic, as two replicas of a Deployment: a client on
 * either gets what was published through either, through a socket, or by a plain producer, with the same ids;
 * an id seen on one resumes on the other.
 */
class ReplicasIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-replicas-it");
    private static ServiceProcess first;
    private static ServiceProcess second;

    @BeforeAll
    static void start() {
        BROKER.start();
        first = new ServiceProcess(BROKER.bootstrapServers(), "replica-1").start();
        second = new ServiceProcess(BROKER.bootstrapServers(), "replica-2").start();
        first.awaitDelivering();
        second.awaitDelivering();
    }

    @AfterAll
    static void stop() {
        first.close();
        second.close();
        BROKER.stop();
    }

    @Test
    void aClientOnEitherReplicaGetsWhatWasPublishedThroughEitherReplicaOrAnyProducer() throws Exception {
        try (SocketClient onFirst = SocketClient.connectWithJdkClient(first.baseUri(), null);
             SocketClient onSecond = SocketClient.connectWithJdkClient(second.baseUri(), ServiceProcess.API_KEY)) {
            String viaFirst = "via replica 1 " + UUID.randomUUID();
            String viaSecond = "via replica 2 " + UUID.randomUUID();
            String viaSocket = "via the socket on replica 2 " + UUID.randomUUID();
            String viaKafka = "via a plain producer " + UUID.randomUUID();
            assertThat(first.publish(viaFirst).statusCode(), equalTo(202));
            assertThat(second.publish(viaSecond).statusCode(), equalTo(202));
            onSecond.send(Json.object("message", viaSocket));
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(BROKER.bootstrapServers())) {
                producer.send(KafkaClients.textRecord(viaKafka)).get();
            }

            for (String message : List.of(viaFirst, viaSecond, viaSocket, viaKafka)) {
                JsonNode seenOnFirst = onFirst.awaitNotification(message);
                JsonNode seenOnSecond = onSecond.awaitNotification(message);
                // One topic, one id: the same notification is the same everywhere.
                assertThat(seenOnSecond.get("id"), equalTo(seenOnFirst.get("id")));
            }
        }
    }

    @Test
    void anIdSeenOnOneReplicaResumesOnTheOther() {
        try (SocketClient onFirst = SocketClient.connectWithJdkClient(first.baseUri(), null);
             SocketClient watcherOnSecond = SocketClient.connectWithJdkClient(second.baseUri(), null)) {
            String run = UUID.randomUUID().toString();
            List<String> messages = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                messages.add("resume " + run + " #" + i);
                assertThat(first.publish(messages.get(i)).statusCode(), equalTo(202));
            }
            messages.forEach(onFirst::awaitNotification);
            watcherOnSecond.awaitNotification(messages.get(9)); // replica 2 has read them too
            String lastSeen = onFirst.notification(messages.get(3)).orElseThrow().get("id").asText();

            // The client lost replica 1 after #3 and reconnects to replica 2.
            try (SocketClient onSecond = SocketClient.connectWithJdkClient(second.baseUri(), null, lastSeen)) {
                onSecond.awaitFrame("resumed", frame -> frame.path("type").asText().equals("resumed"));
                List<String> replayed = onSecond.frames().stream()
                        .filter(frame -> frame.path("message").asText().startsWith("resume " + run))
                        .map(frame -> frame.get("message").asText())
                        .toList();
                assertThat(replayed, contains(messages.subList(4, 10).toArray()));
            }
        }
    }

    /**
     * A publisher whose answer was lost retries on the other replica, then again after that replica restarted: each
     * time the first's id, and the notification once on a socket.
     */
    @Test
    void aRetryOnTheOtherReplicaOrAfterItRestartedIsAnsweredAsTheFirstAndDeliveredOnce() throws Exception {
        try (SocketClient onFirst = SocketClient.connectWithJdkClient(first.baseUri(), null)) {
            String key = UUID.randomUUID().toString();
            String message = "published once " + key;
            String body = Json.object("message", message);
            Map<String, String> withKey = Map.of(IdempotencyKey.HEADER, key);

            HttpResponse<String> published = first.publishJson(body, withKey);
            assertThat(published.body(), published.statusCode(), equalTo(202));
            String id = JSON.readTree(published.body()).get("id").asText();
            HttpResponse<String> onTheOther = second.publishJson(body, withKey);
            assertThat(onTheOther.statusCode(), equalTo(202));
            assertThat(JSON.readTree(onTheOther.body()).get("id").asText(), equalTo(id));

            second.kill();
            second = new ServiceProcess(BROKER.bootstrapServers(), "replica-2").start();
            second.awaitDelivering();
            HttpResponse<String> afterARestart = second.publishJson(body, withKey);
            assertThat(afterARestart.statusCode(), equalTo(202));
            assertThat(JSON.readTree(afterARestart.body()).get("id").asText(), equalTo(id));

            // A marker in the same partition, after any repeat: once it is here, a repeat delivered would be too.
            String marker = "marker " + key;
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(BROKER.bootstrapServers())) {
                producer.send(new ProducerRecord<>("notifications", new IdempotencyKey(ApiKeys.publisherOf(ServiceProcess.API_KEY), key).recordKey(),
                        Json.object("message", marker).getBytes(StandardCharsets.UTF_8))).get();
            }
            onFirst.awaitNotification(marker);
            assertThat(onFirst.messages().stream().filter(message::equals).count(), equalTo(1L));
        }
    }
}
