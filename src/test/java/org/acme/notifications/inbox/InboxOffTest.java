package org.acme.notifications.inbox;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/** A deployment with the inbox off ({@code notifications.inbox.enabled=false}) delivers live as before, and says the inbox is off. */
@QuarkusTest
@TestProfile(InboxOffTest.InboxOff.class)
@WithTestResource(KafkaBrokerResource.class)
class InboxOffTest {

    public static class InboxOff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.inbox.enabled", "false");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void socketsWithATokenGetTheirNotificationsLiveAndTheInboxAnswersThatItIsOff() {
        String user = "user-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        try (SocketClient socket = SocketClient.connectWithToken(baseUri, token, "")) {
            Pipeline.awaitReady(socket);
            String message = "Your export is ready " + UUID.randomUUID();
            Pipeline.publishJson(Json.object("message", message, "user", user));

            assertThat(socket.awaitNotification(message).path("user").asText(), equalTo(user));
            assertThat(socket.isOpen(), is(true));
            assertThat(socket.controlTypes(), not(hasItem("inbox")));
        }
        given().header("Authorization", "Bearer " + token).get("/api/inbox")
                .then().statusCode(404).contentType("application/problem+json").body("type", equalTo("urn:notifications:problem:inbox-off"));
    }
}
