package org.acme.notifications.packaged;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.InjectKafkaBroker;
import org.acme.notifications.kafka.KafkaBroker;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

/**
 * The packaged artifact (the jar here; the native executable under -Dnative) in its production
 * profile, on a real broker: socket, POST and a record from a plain Kafka producer.
 */
@QuarkusIntegrationTest
@TestProfile(PackagedServiceIT.WithApiKey.class)
@WithTestResource(KafkaBrokerResource.class)
class PackagedServiceIT {

    private static final String KEY = "integration-test-key";

    public static class WithApiKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.api-keys", KEY);
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @InjectKafkaBroker
    KafkaBroker broker;

    @Test
    void notificationsFromEveryWayInReachTheSockets() throws Exception {
        try (SocketClient reader = SocketClient.connectWithJdkClient(baseUri, null);
             SocketClient publisher = SocketClient.connectWithJdkClient(baseUri, KEY)) {
            Pipeline.awaitReady(reader, KEY);

            String overRest = "over REST " + UUID.randomUUID();
            given().contentType(ContentType.JSON).header("Authorization", "Bearer " + KEY)
                    .body(Json.object("message", overRest))
                    .post("/api/notifications")
                    .then().statusCode(202).body("message", equalTo(overRest));

            String overSocket = "over the socket " + UUID.randomUUID();
            publisher.send(Json.object("message", overSocket));

            String overKafka = "over Kafka " + UUID.randomUUID();
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
                producer.send(KafkaClients.textRecord(overKafka)).get();
            }

            for (String message : new String[] {overRest, overSocket, overKafka}) {
                reader.awaitNotification(message);
                publisher.awaitNotification(message);
            }
        }
    }

    /** Producers may compress; the consumer must decode every codec, natively too (the native profile enables snappy). */
    @ParameterizedTest
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void compressedRecordsAreDelivered(String codec) throws Exception {
        try (SocketClient reader = SocketClient.connectWithJdkClient(baseUri, null)) {
            Pipeline.awaitReady(reader, KEY);
            String message = codec + " compressed " + UUID.randomUUID();
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers(),
                    Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec))) {
                producer.send(KafkaClients.textRecord(message)).get();
            }
            reader.awaitNotification(message);
        }
    }

    @Test
    void productionRulesHold() {
        given().contentType(ContentType.JSON).body(Json.object("message", "no key"))
                .post("/api/notifications")
                .then().statusCode(401).contentType("application/problem+json");
        given().contentType(ContentType.JSON).header("Authorization", "Bearer " + KEY).body("{\"message\": 42}")
                .post("/api/notifications")
                .then().statusCode(400).contentType("application/problem+json");
        // The dev sign-in is not built into the production artifact.
        given().get("/dev/token?user=mallory").then().statusCode(404);
    }

    /** What an operator watches, in the production build (the native executable too): event loops and direct memory. */
    @Test
    void theEventLoopsAndDirectMemoryAreMeasured() {
        // every event loop is probed twice a second from the start
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Metrics.scrape(baseUri).getOrDefault("notifications_event_loop_lag_seconds_count", 0.0) > 0);
        assertThat(Metrics.scrape(baseUri).get("notifications_netty_direct_memory_bytes"), greaterThanOrEqualTo(0.0));
    }

    /** Per-user delivery with a real signed token, in the production build. */
    @Test
    void aUsersNotificationReachesOnlyThatUser() {
        String user = "packaged-" + UUID.randomUUID();
        try (SocketClient own = SocketClient.connectWithToken(baseUri, TestTokens.token(user), "");
             SocketClient other = SocketClient.connectWithJdkClient(baseUri, null)) {
            Pipeline.awaitReady(other, KEY);
            given().contentType(ContentType.JSON).header("Authorization", "Bearer " + KEY)
                    .body(Json.object("message", "only for " + user, "user", user))
                    .post("/api/notifications").then().statusCode(202);
            String after = "after " + UUID.randomUUID();
            given().contentType(ContentType.JSON).header("Authorization", "Bearer " + KEY)
                    .body(Json.object("message", after)).post("/api/notifications").then().statusCode(202);

            own.awaitNotification("only for " + user);
            other.awaitNotification(after);
            assertThat(other.notification("only for " + user).isPresent(), equalTo(false));
        }
    }

    /** The inbox in the production build: stored from PostgreSQL, listed, marked, counted live on the socket. */
    @Test
    void aUsersNotificationWaitsInTheirInbox() {
        String user = "packaged-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        try (SocketClient own = SocketClient.connectWithToken(baseUri, token, "")) {
            own.awaitFrame("counts on open", frame -> "inbox".equals(frame.path("type").asText()));
            String body = Json.object("message", "Your export is ready", "user", user, "link", "https://example.com/exports/7")
                    .replace("}", ",\"data\":{\"rows\":12345678901234567890,\"ratio\":0.1000000000000000055511151231257827}}");
            given().contentType(ContentType.JSON).header("Authorization", "Bearer " + KEY).body(body)
                    .post("/api/notifications").then().statusCode(202);
            own.awaitFrame("counts after it was stored", frame -> "inbox".equals(frame.path("type").asText())
                    && frame.path("unread").asLong() == 1);

            String page = given().header("Authorization", "Bearer " + token).get("/api/inbox")
                    .then().statusCode(200).extract().asString();
            assertThat(page, Json.parse(page).get("items").get(0).get("link").asText(), equalTo("https://example.com/exports/7"));
            assertThat(page, Json.parse(page).get("items").get(0).get("data").get("rows").asText(), equalTo("12345678901234567890"));
            String id = Json.parse(page).get("items").get(0).get("id").asText();
            given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON).body("{\"ids\":[\"" + id + "\"]}")
                    .post("/api/inbox/read").then().statusCode(200).body("unread", equalTo(0));
            own.awaitFrame("counts after it was read", frame -> "inbox".equals(frame.path("type").asText())
                    && frame.path("unread").asLong() == 0 && frame.path("unseen").asLong() == 0);
            given().header("Authorization", "Bearer " + KEY).get("/api/inbox/counts").then().statusCode(401);
            given().get("/q/health/group/inbox").then().statusCode(200);
        }
    }
}
