package org.acme.notifications;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.notNullValue;

/** Health, metrics and API docs as an operator reads them. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class OperationsEndpointsTest {

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void healthIsUpWithKafka() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        await().atMost(SocketClient.DELIVERY_TIMEOUT).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP")));
    }

    @Test
    void metricsCountWhatHappened() throws Exception {
        try (SocketClient first = SocketClient.connect(baseUri); SocketClient second = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(first);
            // One partition keeps order: once both sockets have this, every earlier probe was counted.
            String barrier = "barrier " + UUID.randomUUID();
            Pipeline.publish(barrier);
            first.awaitNotification(barrier);
            second.awaitNotification(barrier);
            // and its writes were timed: every notification read is written (the socket may see it a moment earlier)
            Map<String, Double> before = await("every notification read is timed as written")
                    .atMost(SocketClient.DELIVERY_TIMEOUT).until(this::metrics, Metrics::everyReadNotificationTimed);
            String last = "last " + UUID.randomUUID();

            Pipeline.publish("rest 1");
            Pipeline.publish("rest 2");
            Pipeline.publish("rest 3");
            first.send(Json.object("message", "socket 1"));
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                producer.send(KafkaClients.textRecord("{\"no\": \"message\"}")).get();
                producer.send(KafkaClients.textRecord(last)).get();
            }
            for (SocketClient client : new SocketClient[] {first, second}) {
                for (String message : new String[] {"rest 1", "rest 2", "rest 3", "socket 1", last}) {
                    client.awaitNotification(message);
                }
            }

            await().atMost(SocketClient.DELIVERY_TIMEOUT).untilAsserted(() -> {
                Map<String, Double> after = metrics();
                assertThat(delta(before, after, "notifications_published_total{source=\"rest\"}"), equalTo(3.0));
                assertThat(delta(before, after, "notifications_published_total{source=\"socket\"}"), equalTo(1.0));
                assertThat(delta(before, after, "notifications_published_total{source=\"kafka\"}"), equalTo(1.0));
                assertThat(delta(before, after, "notifications_dead_lettered_total"), equalTo(1.0));
                // 5 notifications to 2 sockets
                assertThat(delta(before, after, "notifications_delivered_total"), equalTo(10.0));
                // The stages of a delivery: published here (3 over REST, 1 over the socket), read (6 records), written
                assertThat(delta(before, after, "notifications_publish_duration_seconds_count{source=\"rest\"}"), equalTo(3.0));
                assertThat(delta(before, after, "notifications_publish_duration_seconds_count{source=\"socket\"}"), equalTo(1.0));
                assertThat(delta(before, after, "notifications_consume_lag_seconds_count"), equalTo(6.0));
                // one per batch, and the five came in one to five batches
                assertThat(delta(before, after, "notifications_fanout_duration_seconds_count"), allOf(greaterThanOrEqualTo(1.0), lessThanOrEqualTo(5.0)));
                assertThat(delta(before, after, "notifications_delivery_latency_seconds_count"), equalTo(5.0));
                assertThat(after.get("notifications_connections"), equalTo(2.0));
            });
            String text = given().get("/q/metrics").asString();
            assertThat(text, containsString("notifications_delivery_latency_seconds_bucket"));
            assertThat(text, containsString("kafka_consumer_fetch_manager_records_lag"));
            assertThat(text, containsString("notifications_netty_direct_memory_bytes"));
            // every event loop is probed twice a second from the start
            await().atMost(Duration.ofSeconds(10)).until(() -> metrics().getOrDefault("notifications_event_loop_lag_seconds_count", 0.0) >= 2);
        }
    }

    @Test
    void openApiDescribesThePublishEndpoint() {
        given().queryParam("format", "json").get("/q/openapi")
                .then().statusCode(200)
                .body("paths.'/api/notifications'.post.responses.keySet()", hasItems("202", "400", "401", "413", "415", "503"))
                .body("paths.'/api/notifications'.post.requestBody.content.'application/json'.schema", notNullValue())
                .body("paths.'/api/notifications'.post.responses.'400'.content.'application/problem+json'.schema", notNullValue())
                .body("components.schemas.NotificationRequest.required", hasItems("message"))
                .body("components.schemas.Notification.properties.keySet()", hasItems("id", "message", "timestamp"))
                .body("components.securitySchemes.apiKey.scheme", equalTo("bearer"));
    }

    /** Samples of the service's own metrics, with the label sets trimmed to what the tests name. */
    private Map<String, Double> metrics() {
        Map<String, Double> samples = new HashMap<>();
        Metrics.scrape(baseUri).forEach((sample, value) -> {
            if (sample.startsWith("notifications_")) {
                samples.put(sample.replaceAll(",?reason=\"closed\"", ""), value);
            }
        });
        return samples;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name) {
        assertThat(name + " is exposed", after.get(name), notNullValue());
        return after.get(name) - before.getOrDefault(name, 0.0);
    }
}
