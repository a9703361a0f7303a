package org.acme.notifications.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.stream.Stream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * Records written by a plain Kafka producer, not through the service, as any other system would: plain text and
 * JSON are delivered; poison records (null, not UTF-8, JSON of the wrong shape, a 900 KB value) land in the
 * dead-letter topic unchanged and the next good record still arrives.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class KafkaProducerDeliveryTest {

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void createProducer() {
        producer = KafkaClients.producer(bootstrapServers);
    }

    @AfterEach
    void closeProducer() {
        producer.close();
    }

    @Test
    void plainTextRecordIsANotification() throws Exception {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String message = "Deploy finished " + UUID.randomUUID();

            produce(null, message.getBytes(StandardCharsets.UTF_8));

            JsonNode frame = client.awaitNotification(message);
            assertThat(frame.get("id").asText().matches("\\d+-\\d+"), is(true));
        }
    }

    @Test
    void jsonRecordIsANotification() throws Exception {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String message = "Build broke " + UUID.randomUUID();

            produce(null, Json.object("message", message, "title", "CI", "level", "error").getBytes(StandardCharsets.UTF_8));

            JsonNode frame = client.awaitNotification(message);
            assertThat(frame.get("title").asText(), equalTo("CI"));
            assertThat(frame.get("level").asText(), equalTo("error"));
        }
    }

    /** A link and data from any producer reach the socket as sent; a record with an unsafe link is dead-lettered. */
    @Test
    void aRecordsLinkAndDataAreCarriedAndAnUnsafeLinkIsDeadLettered() throws Exception {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String message = "Export ready " + UUID.randomUUID();
            String key = "unsafe-" + UUID.randomUUID();

            produce(key, "{\"message\":\"x\",\"link\":\"javascript:alert(1)\"}".getBytes(StandardCharsets.UTF_8));
            produce(null, ("{\"message\":\"" + message + "\",\"link\":\"https://example.com/exports/42\","
                    + "\"data\":{\"export\":42,\"rows\":[1,2]}}").getBytes(StandardCharsets.UTF_8));

            JsonNode frame = client.awaitNotification(message);
            assertThat(frame.get("link").asText(), equalTo("https://example.com/exports/42"));
            assertThat(frame.get("data").get("export").asInt(), equalTo(42));
            assertThat(frame.get("data").get("rows").size(), equalTo(2));
            assertThat(awaitDeadLetter(key).key(), equalTo(key));
        }
    }

    static Stream<byte[]> poisonRecords() {
        return Stream.of(
                "{\"title\": \"no message\"}".getBytes(StandardCharsets.UTF_8),
                "{\"message\": 42}".getBytes(StandardCharsets.UTF_8),
                "{\"message\": \"unterminated".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}, // not UTF-8
                "   ".getBytes(StandardCharsets.UTF_8),
                "x".repeat(4097).getBytes(StandardCharsets.UTF_8),
                "y".repeat(900_000).getBytes(StandardCharsets.UTF_8), // huge, still under Kafka's 1 MB record limit
                null);
    }

    @ParameterizedTest
    @MethodSource("poisonRecords")
    void poisonRecordGoesToTheDeadLetterTopicAndDeliveryGoesOn(byte[] poison) throws Exception {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String key = "poison-" + UUID.randomUUID();
            String next = "after poison " + UUID.randomUUID();

            produce(key, poison);
            produce(null, next.getBytes(StandardCharsets.UTF_8));

            client.awaitNotification(next);
            ConsumerRecord<String, byte[]> deadLetter = awaitDeadLetter(key);
            assertThat(deadLetter.value(), equalTo(poison));
            assertThat(client.frames().stream().noneMatch(f -> f.path("message").asText().contains("no message")), is(true));
        }
    }

    private void produce(String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>("notifications", key, value)).get();
    }

    private ConsumerRecord<String, byte[]> awaitDeadLetter(String key) {
        return KafkaClients.awaitRecord(bootstrapServers, "notifications-dlq", record -> key.equals(record.key()));
    }
}
