package org.acme.notifications.testsupport;

import io.restassured.http.ContentType;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

/** Waits for the end-to-end path to work before a test relies on it. */
public final class Pipeline {

    private Pipeline() {
    }

    /**
     * A new instance consumes from the latest offset once Kafka assigned it the topic's partitions;
     * records written before that moment are not its to deliver. Publish probes until one comes back.
     */
    public static void awaitReady(SocketClient client) {
        awaitReady(client, null);
    }

    /** As {@link #awaitReady(SocketClient)}, publishing with {@code Authorization: Bearer <apiKey>}. */
    public static void awaitReady(SocketClient client, String apiKey) {
        awaitReadyPublishingWith(client, probe -> given().contentType(ContentType.JSON)
                .header("Authorization", apiKey == null ? "" : "Bearer " + apiKey)
                .body(Json.object("message", probe)).post("/api/notifications"));
    }

    /** Publishes over REST (no API key) and checks the 202. */
    public static void publish(String message) {
        publishJson(Json.object("message", message));
    }

    /** Publishes a whole JSON body over REST (no API key), targets and all, and checks the 202. */
    public static void publishJson(String body) {
        given().contentType(ContentType.JSON).body(body).post("/api/notifications").then().statusCode(202);
    }

    /** As {@link #awaitReady(SocketClient)}, publishing each probe message with {@code publish}. */
    public static void awaitReadyPublishingWith(SocketClient client, Consumer<String> publish) {
        String probe = "probe " + UUID.randomUUID();
        await("a probe notification to travel REST -> Kafka -> socket")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    publish.accept(probe);
                    return client.notification(probe).isPresent();
                });
    }
}
