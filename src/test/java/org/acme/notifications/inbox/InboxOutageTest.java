package org.acme.notifications.inbox;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.postgres.PostgresResource;
import org.acme.notifications.postgres.PostgresServer;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * PostgreSQL is a dependency, not a single point of failure: with its server stopped mid-stream, sockets keep getting
 * live notifications, inbox calls answer 503 with Retry-After, the inbox's health group says DOWN while liveness and
 * readiness stay UP; started again, the writer resumes where it stopped and nothing that got a 202 is missing.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InboxOutageTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void liveDeliveryGoesOnAndTheInboxCatchesUpAfterwards() {
        String user = "user-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        PostgresServer postgres = PostgresResource.server();
        try (SocketClient socket = SocketClient.connectWithToken(baseUri, token, "")) {
            Pipeline.awaitReady(socket);
            publish(user, "before 0");
            await().atMost(Duration.ofSeconds(30)).until(() -> unread(token) == 1);

            postgres.stop();
            try {
                List<String> during = IntStream.range(0, 20).mapToObj(i -> "during " + i).toList();
                during.forEach(message -> publish(user, message)); // every one a 202: Kafka has it
                during.forEach(socket::awaitNotification);

                Response refused = given().header("Authorization", "Bearer " + token).get("/api/inbox");
                assertThat(refused.asString(), refused.statusCode(), is(503));
                assertThat(refused.header("Retry-After"), equalTo("5"));
                assertThat(Json.parse(refused.asString()).get("type").asText(), equalTo("urn:notifications:problem:inbox-unavailable"));
                assertThat(given().header("Authorization", "Bearer " + token).get("/api/inbox/counts").statusCode(), is(503));
                given().get("/q/health/group/inbox").then().statusCode(503);
                given().get("/q/health/ready").then().statusCode(200);
                given().get("/q/health/live").then().statusCode(200);
            } finally {
                postgres.start();
            }
        }

        await("the writer to resume and store what it missed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> unread(token) == 21);
        Set<String> stored = new HashSet<>(given().header("Authorization", "Bearer " + token).queryParam("limit", 100)
                .get("/api/inbox").then().statusCode(200).extract().jsonPath().getList("items.message", String.class));
        Set<String> expected = new HashSet<>(IntStream.range(0, 20).mapToObj(i -> "during " + i).toList());
        expected.add("before 0");
        assertThat(stored, equalTo(expected));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/health/group/inbox").then().statusCode(200));
    }

    private static void publish(String user, String message) {
        Pipeline.publishJson(Json.object("message", message, "user", user));
    }

    private static int unread(String token) {
        Response counts = given().header("Authorization", "Bearer " + token).get("/api/inbox/counts");
        return counts.statusCode() == 200 ? counts.jsonPath().getInt("unread") : -1;
    }
}
