package org.acme.notifications.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.acme.notifications.delivery.Pipeline;
import org.acme.notifications.delivery.SocketClient;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Instant;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.matchesPattern;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class NotificationResourceTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void postReachesEverySocketThroughKafka() {
        try (SocketClient alice = SocketClient.connect(baseUri); SocketClient bob = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(alice);
            String message = "Deploy finished " + UUID.randomUUID();

            Response accepted = given().contentType(ContentType.JSON)
                    .body("{\"message\":\"" + message + "\",\"title\":\"CI\",\"level\":\"success\"}")
                    .post("/api/notifications");

            accepted.then().statusCode(202).contentType(ContentType.JSON)
                    .body("message", equalTo(message))
                    .body("id", not(emptyOrNullString()));
            String id = accepted.jsonPath().getString("id");
            String timestamp = accepted.jsonPath().getString("timestamp");

            for (SocketClient client : new SocketClient[] {alice, bob}) {
                JsonNode frame = client.awaitNotification(message);
                assertThat(frame.get("id").asText(), equalTo(id));
                assertThat(frame.get("title").asText(), equalTo("CI"));
                assertThat(frame.get("level").asText(), equalTo("success"));
                assertThat(frame.get("timestamp").asText(), equalTo(timestamp));
                assertThat(Instant.parse(timestamp), lessThan(Instant.now().plusSeconds(1)));
            }
        }
    }

    @Test
    void twoNotificationsGetDistinctIds() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String first = "first " + UUID.randomUUID();
            String second = "second " + UUID.randomUUID();
            publish(first);
            publish(second);

            String firstId = client.awaitNotification(first).get("id").asText();
            String secondId = client.awaitNotification(second).get("id").asText();
            assertThat(firstId, matchesPattern("\\d+-\\d+"));
            assertThat(secondId, matchesPattern("\\d+-\\d+"));
            assertThat(firstId, not(equalTo(secondId)));
        }
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"message\": \"unterminated`|400|invalid-json",
            "`not json at all`|400|invalid-json",
            "``|400|invalid-json",
            "`{\"message\": \"x\"} trailing`|400|invalid-json",
            "`[\"message\"]`|400|invalid-message",
            "`\"just a string\"`|400|invalid-message",
            "`{}`|400|invalid-message",
            "`{\"message\": null}`|400|invalid-message",
            "`{\"message\": \"\"}`|400|invalid-message",
            "`{\"message\": \"   \"}`|400|invalid-message",
            "`{\"message\": 42}`|400|invalid-message",
            "`{\"message\": {\"text\": \"nested\"}}`|400|invalid-message",
            "`{\"message\": \"ok\", \"level\": \"loud\"}`|400|invalid-message",
            "`{\"message\": \"ok\", \"title\": 7}`|400|invalid-message",
            "`{\"message\": \"\\ud800 lone surrogate\"}`|400|invalid-message",
    })
    void badBodiesGetAProblem(String body, int status, String code) {
        given().contentType(ContentType.JSON).body(body == null ? "" : body)
                .post("/api/notifications")
                .then().statusCode(status)
                .contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("type", equalTo("urn:notifications:problem:" + code))
                .body("title", not(emptyOrNullString()))
                .body("detail", not(emptyOrNullString()));
    }

    @Test
    void messageOverTheLimitIs413() {
        String message = "é".repeat(2049); // 4098 bytes of UTF-8, over the 4096 limit
        given().contentType(ContentType.JSON).body("{\"message\":\"" + message + "\"}")
                .post("/api/notifications")
                .then().statusCode(413)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:message-too-large"))
                .body("detail", endsWith("the limit is 4096"));
    }

    @Test
    void messageAtTheLimitIsAccepted() {
        given().contentType(ContentType.JSON).body("{\"message\":\"" + "a".repeat(4096) + "\"}")
                .post("/api/notifications")
                .then().statusCode(202);
    }

    @Test
    void otherMediaTypesAre415() {
        given().contentType(ContentType.TEXT).body("hello")
                .post("/api/notifications")
                .then().statusCode(415)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:unsupported-media-type"));
    }

    private static void publish(String message) {
        given().contentType(ContentType.JSON).body("{\"message\":\"" + message + "\"}")
                .post("/api/notifications")
                .then().statusCode(202);
    }
}
