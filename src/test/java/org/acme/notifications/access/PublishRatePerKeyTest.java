package org.acme.notifications.access;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * One API key has one publishing budget, over REST and every socket opened with it: a holder of the key
 * gains nothing by opening more sockets. Here a key may publish 6 at once and then one every 100 s.
 */
@QuarkusTest
@TestProfile(PublishRatePerKeyTest.SmallBudget.class)
@WithTestResource(KafkaBrokerResource.class)
class PublishRatePerKeyTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "notifications.publish-requires-key", "true",
                    "notifications.api-keys", "busy-key,quiet-key,probe-key",
                    "notifications.publish-rate-per-key", "0.01",
                    "notifications.publish-burst-per-key", "6",
                    "notifications.socket.publish-burst", "100");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void aKeysSocketsAndRestShareOneBudgetAndOtherKeysKeepTheirs() {
        String run = UUID.randomUUID().toString();
        try (SocketClient first = SocketClient.connect(baseUri, "busy-key"); SocketClient second = SocketClient.connect(baseUri, "busy-key")) {
            Pipeline.awaitReady(first, "probe-key"); // a key of its own: probes spend no other key's budget
            for (int i = 0; i < 4; i++) {
                first.send(Json.object("message", "first " + i + " " + run));
                second.send(Json.object("message", "second " + i + " " + run));
            }
            // 6 published between both sockets, 2 refused: one budget.
            await("all 8 frames answered").atMost(SocketClient.DELIVERY_TIMEOUT)
                    .until(() -> published(first, run) + refused(first) + refused(second) >= 8);
            assertThat(published(first, run), equalTo(6));
            assertThat(refused(first) + refused(second), equalTo(2));

            List<Integer> statuses = IntStream.range(0, 3).mapToObj(i -> post("busy-key", "rest " + i + " " + run)).toList();
            assertThat(statuses, equalTo(List.of(429, 429, 429)));
            given().contentType(ContentType.JSON).header("Authorization", "Bearer busy-key")
                    .body(Json.object("message", "over")).post("/api/notifications")
                    .then().statusCode(429).header("Retry-After", "1")
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:notifications:problem:rate-limited"));

            assertThat(post("quiet-key", "another key " + run), is(202));
        }
    }

    private static int post(String key, String message) {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + key)
                .body(Json.object("message", message)).post("/api/notifications").statusCode();
    }

    private static int published(SocketClient client, String run) {
        return (int) client.messages().stream().filter(message -> message.endsWith(run) && !message.startsWith("another")).count();
    }

    private static int refused(SocketClient client) {
        return (int) client.frames().stream().filter(frame -> frame.path("code").asText().equals("rate-limited")).count();
    }
}
