package org.acme.notifications.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Every device of a user keeps its badge current: a socket opened with a token is told its counts, and told again when
 * a notification for its user is stored or another device marks one read. Anonymous sockets are told nothing.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InboxLiveCountsTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void everyDeviceOfTheUserIsToldItsCountsWhenTheyChange() {
        String user = "user-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        try (SocketClient phone = SocketClient.connectWithToken(baseUri, token, "");
             SocketClient laptop = SocketClient.connectWithToken(baseUri, token, "");
             SocketClient anonymous = SocketClient.connect(baseUri)) {
            phone.awaitFrame("counts on open", inbox(0, 0));
            laptop.awaitFrame("counts on open", inbox(0, 0));
            Pipeline.awaitReady(anonymous);

            String message = "Your export is ready " + UUID.randomUUID();
            Pipeline.publishJson(Json.object("message", message, "user", user));
            phone.awaitNotification(message);
            laptop.awaitFrame("counts after the new one was stored", inbox(1, 1));
            int storedAt = phone.frames().indexOf(phone.awaitFrame("counts after the new one was stored", inbox(1, 1)));

            given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                    .body("{\"all\":true}").post("/api/inbox/read").then().statusCode(200);
            // The phone is told within a second (one event through Kafka, one count query).
            await().atMost(Duration.ofSeconds(1)).until(() -> phone.frames().stream().skip(storedAt + 1).anyMatch(inbox(0, 0)));
            laptop.awaitFrame("counts after the phone read it", inbox(0, 0));
            assertThat(anonymous.frames().stream().anyMatch(frame -> "inbox".equals(frame.path("type").asText())), is(false));
        }
    }

    @Test
    void aSocketThatResumesIsToldItsCountsAfterItsReplay() {
        String user = "user-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        String since;
        try (SocketClient first = SocketClient.connectWithToken(baseUri, token, "")) {
            first.awaitFrame("counts on open", inbox(0, 0));
            String message = "first " + UUID.randomUUID();
            Pipeline.publishJson(Json.object("message", message, "user", user));
            since = first.awaitNotification(message).get("id").asText();
            first.awaitFrame("counts after it was stored", inbox(1, 1));
        }
        String missed = "missed " + UUID.randomUUID();
        Pipeline.publishJson(Json.object("message", missed, "user", user));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().header("Authorization", "Bearer " + token)
                .get("/api/inbox/counts").then().extract().path("unread").equals(2));

        try (SocketClient back = SocketClient.connectWithToken(baseUri, token, "?since=" + since)) {
            JsonNode counts = back.awaitFrame("counts after the replay", inbox(2, 2));
            int countsAt = back.frames().indexOf(counts);
            int replayedAt = back.frames().indexOf(back.awaitNotification(missed));
            int resumedAt = back.frames().indexOf(back.awaitFrame("resumed", frame -> "resumed".equals(frame.path("type").asText())));
            assertThat(replayedAt < countsAt && resumedAt < countsAt, is(true));
        }
    }

    private static Predicate<JsonNode> inbox(long unread, long unseen) {
        return frame -> "inbox".equals(frame.path("type").asText()) && frame.path("unread").asLong() == unread
                && frame.path("unseen").asLong() == unseen;
    }
}
