package org.acme.notifications.tracing;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** The trace of a POST goes on through the Kafka record's headers into the consumer and the broadcast. */
@QuarkusTest
@TestProfile(TracePropagationTest.WithCollector.class)
@WithTestResource(KafkaBrokerResource.class)
class TracePropagationTest {

    /** An endpoint turns recording on; the spans go to {@link InMemorySpans}, not to this address. */
    public static class WithCollector implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:4317",
                    "quarkus.otel.bsp.schedule.delay", "100ms");
        }
    }

    @Inject
    InMemorySpanExporter spans;

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void traceOfAPostReachesTheBroadcast() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String traceId = UUID.randomUUID().toString().replace("-", "");
            String message = "traced " + UUID.randomUUID();

            given().contentType(ContentType.JSON)
                    .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                    .body(Json.object("message", message))
                    .post("/api/notifications")
                    .then().statusCode(202);
            client.awaitNotification(message);

            Header traceparent = recordCarrying(message).headers().lastHeader("traceparent");
            assertThat(new String(traceparent.value(), StandardCharsets.UTF_8), startsWith("00-" + traceId + "-"));
            await("spans of trace " + traceId).atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> {
                List<SpanData> trace = spans.getFinishedSpanItems().stream()
                        .filter(span -> span.getTraceId().equals(traceId)).toList();
                return trace.stream().anyMatch(span -> span.getKind() == SpanKind.SERVER)
                        && trace.stream().anyMatch(span -> span.getKind() == SpanKind.PRODUCER)
                        && trace.stream().anyMatch(span -> span.getKind() == SpanKind.CONSUMER)
                        && trace.stream().anyMatch(span -> span.getName().equals("broadcast"));
            });
        }
    }

    /** A browser's API key travels in the socket's URL; no exported span carries it. */
    @Test
    void anApiKeyInASocketUrlIsInNoSpan() {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String key = "secret-" + UUID.randomUUID();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        SocketClient.connectWithJdkClient(builder, SocketClient.socketUri(baseUri, "?api-key=" + key)).close();
        await("the upgrade's server span").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(span -> span.getTraceId().equals(traceId) && span.getKind() == SpanKind.SERVER));
        List<String> attributes = spans.getFinishedSpanItems().stream()
                .flatMap(span -> span.getAttributes().asMap().values().stream()).map(String::valueOf).toList();
        assertThat(attributes.stream().filter(value -> value.contains(key)).toList(), empty());
        assertThat(attributes.stream().anyMatch(value -> value.contains("api-key=REDACTED")), equalTo(true));
    }

    private ConsumerRecord<String, byte[]> recordCarrying(String message) {
        return KafkaClients.awaitRecord(bootstrapServers, "notifications",
                record -> record.value() != null && new String(record.value(), StandardCharsets.UTF_8).contains(message));
    }
}
