package org.acme.notifications.access;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Production rules: publishing and (here, switched on) subscribing need one of the configured keys. */
@QuarkusTest
@TestProfile(ApiKeyTest.KeysRequired.class)
@WithTestResource(KafkaBrokerResource.class)
class ApiKeyTest {

    public static class KeysRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "notifications.publish-requires-key", "true",
                    "notifications.subscribe-requires-key", "true",
                    "notifications.api-keys", "first-key, second-key");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void postWithoutAValidKeyIs401() {
        for (String authorization : new String[] {"", "Bearer", "Bearer wrong-key", "Basic c2Vjb25kLWtleQ==", "Bearer first-key-but-longer"}) {
            given().contentType(ContentType.JSON).header("Authorization", authorization)
                    .body(Json.object("message", "not allowed"))
                    .post("/api/notifications")
                    .then().statusCode(401)
                    .header("WWW-Authenticate", "Bearer")
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:notifications:problem:unauthorized"));
        }
    }

    @Test
    void postWithAKeyIsAcceptedAndDelivered() {
        try (SocketClient client = SocketClient.connect(baseUri, "first-key")) {
            Pipeline.awaitReady(client, "second-key");
            String message = "with a key " + UUID.randomUUID();

            given().contentType(ContentType.JSON).header("Authorization", "Bearer second-key")
                    .body(Json.object("message", message))
                    .post("/api/notifications")
                    .then().statusCode(202);

            client.awaitNotification(message);
        }
    }

    @Test
    void socketWithoutAKeyIsRefusedAtConnect() {
        assertThat(SocketClient.upgradeStatus(baseUri, Map.of()), equalTo(401));
        assertThat(SocketClient.upgradeStatus(baseUri, Map.of("X-API-Key", "wrong-key")), equalTo(401));
    }

    @Test
    void socketWithAKeyMayPublish() {
        try (SocketClient client = SocketClient.connect(baseUri, "second-key")) {
            Pipeline.awaitReady(client, "first-key");
            String message = "socket with a key " + UUID.randomUUID();

            client.send(Json.object("message", message));

            client.awaitNotification(message);
        }
    }

    @Test
    void keyInTheQueryWorksForBrowsers() {
        try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?api-key=first-key"))) {
            client.send(Json.object("message", "from a browser"));
            JsonNode error = client.awaitFrame("no error frame, the notification instead",
                    f -> f.path("message").asText().equals("from a browser") || f.path("type").asText().equals("error"));
            assertThat(error.path("message").asText(), equalTo("from a browser"));
        }
    }
}
