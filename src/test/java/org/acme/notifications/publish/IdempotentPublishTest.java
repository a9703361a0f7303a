package org.acme.notifications.publish;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/**
 * {@code Idempotency-Key} end to end, real broker and real PostgreSQL: a publish repeated with its key is answered as
 * the first (202, same id and timestamp), delivered once to every socket and stored once; a record with the key from
 * another writer (another replica, any Kafka producer) counts as the first; a key reused for another notification, or
 * malformed, is refused.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class IdempotentPublishTest {

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "notifications.topic")
    String topic;

    private SocketClient socket;

    @BeforeEach
    void listen() {
        socket = SocketClient.connect(baseUri);
        Pipeline.awaitReady(socket);
    }

    @AfterEach
    void close() {
        socket.close();
    }

    @Test
    void aRetryWithTheSameKeyIsAnsweredAsTheFirstAndDeliveredOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = Json.object("message", "export ready " + key);

        ExtractableResponse<Response> first = publish(key, body, 202);
        ExtractableResponse<Response> retry = publish(key, body, 202);
        ExtractableResponse<Response> again = publish(key, body, 202);

        assertThat(retry.path("id"), equalTo(first.path("id")));
        assertThat(again.path("id"), equalTo(first.path("id")));
        assertThat(retry.path("timestamp"), equalTo(first.path("timestamp")));
        assertThat(delivered(anonymous(key).recordKey(), key), contains("export ready " + key));
    }

    @Test
    void aRecordWithTheKeyFromAnotherWriterIsTheFirst() throws Exception {
        String key = UUID.randomUUID().toString();
        String value = Json.object("message", "written by another replica " + key);
        // What another replica writes for an anonymous publisher's broadcast with this key, and then its repeat.
        RecordMetadata written;
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            IdempotencyKey idempotencyKey = anonymous(key);
            written = producer.send(keyed(idempotencyKey, value)).get();
            producer.send(keyed(idempotencyKey, value)).get();
        }
        socket.awaitNotification("written by another replica " + key);

        ExtractableResponse<Response> answer = publish(key, value, 202);
        assertThat(answer.path("id"), equalTo(written.partition() + "-" + written.offset()));
        assertThat(delivered(anonymous(key).recordKey(), key), contains("written by another replica " + key));
    }

    @Test
    void aKafkaProducersRepeatWithTheKeyHeaderIsDeliveredOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            for (String message : List.of("from kafka " + key, "from kafka " + key, "from kafka, another key " + key)) {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, "orders", message.getBytes(StandardCharsets.UTF_8));
                record.headers().add(IdempotencyKey.HEADER, (message.contains("another") ? key + "-2" : key).getBytes(StandardCharsets.UTF_8));
                producer.send(record).get();
            }
        }
        assertThat(delivered("orders", key), contains("from kafka " + key, "from kafka, another key " + key));
    }

    /** The repeat is written as another replica would (its answer lost): the inbox keeps the first only. */
    @Test
    void aUsersNotificationPublishedAgainIsStoredOnce() throws Exception {
        String user = "user-" + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        String body = Json.object("message", "your export is ready", "user", user);
        String id = publish(key, body, 202).path("id");
        assertThat(publish(key, body, 202).path("id"), equalTo(id));
        RecordMetadata repeat;
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, "user:" + user, body.getBytes(StandardCharsets.UTF_8));
            anonymous(key).addTo(record.headers());
            repeat = producer.send(record).get();
        }
        // Published after the repeat, without a key, into the same partition (the user's): stored after it was judged.
        String after = publish(null, body, 202).path("id");

        String token = TestTokens.token(user);
        await("the inbox to hold the one after the repeat").atMost(Duration.ofSeconds(15)).until(() -> inboxIds(token).contains(after));
        assertThat(inboxIds(token), contains(after, id));
        assertThat(inboxIds(token), not(hasItem(repeat.partition() + "-" + repeat.offset())));
    }

    @Test
    void aKeyReusedForAnotherNotificationIsRefused() throws Exception {
        String key = UUID.randomUUID().toString();
        publish(key, Json.object("message", "the first " + key), 202);

        ExtractableResponse<Response> refused = publish(key, Json.object("message", "something else " + key), 422);
        assertThat(refused.path("type"), equalTo("urn:notifications:problem:idempotency-key-reused"));
        assertThat(delivered(anonymous(key).recordKey(), key), contains("the first " + key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"with space", "naïve", "' OR 1=1 --\t"})
    void aMalformedKeyIsRefused(String key) {
        ExtractableResponse<Response> refused = publish(key, Json.object("message", "never sent"), 400);
        assertThat(refused.path("type"), equalTo("urn:notifications:problem:invalid-idempotency-key"));
    }

    @Test
    void aKeyOverItsLengthIsRefused() {
        publish("k".repeat(IdempotencyKey.MAX_LENGTH), Json.object("message", "a long key " + UUID.randomUUID()), 202);
        ExtractableResponse<Response> refused = publish("k".repeat(IdempotencyKey.MAX_LENGTH + 1), Json.object("message", "never sent"), 400);
        assertThat(refused.path("type"), equalTo("urn:notifications:problem:invalid-idempotency-key"));
    }

    private static ExtractableResponse<Response> publish(String key, String body, int status) {
        var request = given().contentType(ContentType.JSON).body(body);
        if (key != null) {
            request.header(IdempotencyKey.HEADER, key);
        }
        return request.post("/api/notifications").then().statusCode(status).extract();
    }

    /** The key of a publisher without an API key (the tests publish without one). */
    private static IdempotencyKey anonymous(String key) {
        return new IdempotencyKey("anonymous", key);
    }

    private ProducerRecord<String, byte[]> keyed(IdempotencyKey key, String value) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key.recordKey(), value.getBytes(StandardCharsets.UTF_8));
        key.addTo(record.headers());
        return record;
    }

    /**
     * The messages with {@code text} the socket got, once a marker written after them into the same partition (by the
     * same record key) has arrived: a repeat delivered late would have come before it.
     */
    private List<String> delivered(String recordKey, String text) throws Exception {
        String marker = "marker " + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            producer.send(new ProducerRecord<>(topic, recordKey, Json.object("message", marker).getBytes(StandardCharsets.UTF_8))).get();
        }
        socket.awaitNotification(marker);
        return socket.messages().stream().filter(message -> message.contains(text)).toList();
    }

    private static List<String> inboxIds(String token) {
        return given().header("Authorization", "Bearer " + token).get("/api/inbox")
                .then().statusCode(200).extract().jsonPath().getList("items.id", String.class);
    }
}
