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
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** The production default with no key configured: nobody may publish, everybody may read. */
@QuarkusTest
@TestProfile(NoApiKeyConfiguredTest.ProductionDefaults.class)
@WithTestResource(KafkaBrokerResource.class)
class NoApiKeyConfiguredTest {

    public static class ProductionDefaults implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.publish-requires-key", "true");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void publishingIsRefusedAndReadingIsOpen() {
        given().contentType(ContentType.JSON).header("Authorization", "Bearer anything")
                .body(Json.object("message", "nobody may publish"))
                .post("/api/notifications")
                .then().statusCode(401);

        try (SocketClient client = SocketClient.connect(baseUri)) {
            client.send(Json.object("message", "nobody may publish"));
            JsonNode error = client.awaitFrame("an error frame", f -> f.path("type").asText().equals("error"));
            assertThat(error.get("status").asInt(), equalTo(401));
            assertThat(error.get("code").asText(), equalTo("unauthorized"));
        }
    }
}
