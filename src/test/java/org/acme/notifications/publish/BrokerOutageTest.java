package org.acme.notifications.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.acme.notifications.delivery.Pipeline;
import org.acme.notifications.delivery.SocketClient;
import org.acme.notifications.kafka.InjectKafkaBroker;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/** Stops and restarts a real broker under the running service. */
@QuarkusTest
@TestProfile(BrokerOutageTest.OwnBroker.class)
@WithTestResource(KafkaBrokerResource.class)
class BrokerOutageTest {

    /** A profile of its own, so that stopping this broker cannot disturb the other tests. */
    public static class OwnBroker implements QuarkusTestProfile {
    }

    @InjectKafkaBroker
    KafkaBrokerProcess broker;

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void publishingAnswers503AndReadinessIsDownWhileKafkaIsDownAndBothRecoverByThemselves() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);

            broker.stop();
            await("readiness to report Kafka down").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN")));
            given().get("/q/health/live").then().statusCode(200);

            given().contentType(ContentType.JSON).body("{\"message\":\"while Kafka is down\"}")
                    .post("/api/notifications")
                    .then().statusCode(503)
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:notifications:problem:kafka-unavailable"))
                    // Bounded by the producer's max.block.ms / delivery timeout, never a hang.
                    .time(lessThan(Duration.ofSeconds(8).toMillis()));

            client.send("{\"message\":\"socket while Kafka is down\"}");
            JsonNode error = client.awaitFrame("an error frame", f -> f.path("type").asText().equals("error"));
            assertThat(error.get("status").asInt(), equalTo(503));
            assertThat(client.isOpen(), is(true));

            broker.start();
            await("readiness to recover by itself").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP")));

            String message = "after the outage " + UUID.randomUUID();
            await("publishing to work again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> given().contentType(ContentType.JSON).body("{\"message\":\"" + message + "\"}")
                            .post("/api/notifications").statusCode() == 202);
            client.awaitNotification(message);
        }
    }
}
