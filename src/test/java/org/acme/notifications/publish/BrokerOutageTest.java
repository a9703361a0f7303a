package org.acme.notifications.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.InjectKafkaBroker;
import org.acme.notifications.kafka.KafkaBroker;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * Stops and restarts a real broker under the running service: while it is down, a POST answers 503 within
 * seconds, sockets stay open and readiness is down; once it is back, readiness, publishing and delivery recover by
 * themselves; a publisher posting without pause from before the outage to after it sees 503s, and every POST that
 * got a 202 reaches the socket.
 */
@QuarkusTest
@TestProfile(BrokerOutageTest.OwnBroker.class)
@WithTestResource(KafkaBrokerResource.class)
class BrokerOutageTest {

    /** A profile of its own, so that stopping this broker cannot disturb the other tests. */
    public static class OwnBroker implements QuarkusTestProfile {
    }

    @InjectKafkaBroker
    KafkaBroker broker;

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void publishingAnswers503AndReadinessIsDownWhileKafkaIsDownAndBothRecoverByThemselves() throws Exception {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            // Publishes without pause from before the outage to after it; every 202 must reach the socket.
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger answered503 = new AtomicInteger();
            AtomicBoolean publishing = new AtomicBoolean(true);
            String run = UUID.randomUUID().toString();
            Thread publisher = new Thread(() -> {
                for (int i = 0; publishing.get(); i++) {
                    String message = "across the outage " + run + " #" + i;
                    int status = given().contentType(ContentType.JSON).body(Json.object("message", message))
                            .post("/api/notifications").statusCode();
                    if (status == 202) {
                        acknowledged.add(message);
                    } else if (status == 503) {
                        answered503.incrementAndGet();
                    }
                }
            }, "publisher");
            publisher.start();
            await("notifications accepted before the outage").until(() -> acknowledged.size() >= 20);

            broker.stop();
            await("readiness to report Kafka down").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN")));
            given().get("/q/health/live").then().statusCode(200);

            given().contentType(ContentType.JSON).body(Json.object("message", "while Kafka is down"))
                    .post("/api/notifications")
                    .then().statusCode(503)
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:notifications:problem:kafka-unavailable"))
                    // Bounded by the producer's delivery timeout (15 s) and the publish timeout (16 s), never a hang.
                    .time(lessThan(Duration.ofSeconds(25).toMillis()));

            client.send(Json.object("message", "socket while Kafka is down"));
            // After the producer's delivery timeout (15 s): longer than a socket test's usual wait.
            JsonNode error = client.awaitFrame("an error frame", Duration.ofSeconds(40), f -> f.path("type").asText().equals("error"));
            assertThat(error.get("status").asInt(), equalTo(503));
            assertThat(client.isOpen(), is(true));

            broker.start();
            await("readiness to recover by itself").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP")));

            String message = "after the outage " + UUID.randomUUID();
            await("publishing to work again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> given().contentType(ContentType.JSON).body(Json.object("message", message))
                            .post("/api/notifications").statusCode() == 202);
            client.awaitNotification(message);

            int beforeTheEnd = acknowledged.size();
            await("accepted again after the outage").until(() -> acknowledged.size() >= beforeTheEnd + 20);
            publishing.set(false);
            publisher.join();
            await("every 202 delivered").atMost(SocketClient.DELIVERY_TIMEOUT).untilAsserted(() ->
                    assertThat(acknowledged.stream().filter(m -> client.notification(m).isEmpty()).toList(), empty()));
            assertThat("the publisher saw the outage", answered503.get(), greaterThan(0));
        }
    }
}
