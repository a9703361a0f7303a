package org.acme.notifications.limits;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.delivery.Pipeline;
import org.acme.notifications.delivery.SocketClient;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;

/** Limits with small values, so that a test reaches them. */
@QuarkusTest
@TestProfile(SocketLimitsTest.SmallLimits.class)
@WithTestResource(KafkaBrokerResource.class)
class SocketLimitsTest {

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "notifications.socket.max-connections", "4",
                    "notifications.socket.max-pending-frames", "300",
                    "notifications.socket.allowed-origins", "https://dashboard.example.com",
                    "notifications.socket.publish-rate", "1",
                    "notifications.socket.publish-burst", "5");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void aStalledClientIsClosedAndOthersGetEverything() throws Exception {
        try (SocketClient healthy = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(healthy);
            AtomicInteger stalledFrames = new AtomicInteger();
            // Reads one frame, then never asks for more: the server's writes to it pile up.
            WebSocket stalled = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create(baseUri.toString().replaceFirst("^http", "ws")).resolve("/ws/notifications"),
                            new WebSocket.Listener() {
                                @Override
                                public void onOpen(WebSocket webSocket) {
                                    webSocket.request(1);
                                }

                                @Override
                                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                                    stalledFrames.incrementAndGet();
                                    return null;
                                }
                            }).join();
            double slowBefore = metric("notifications_slow_disconnects_total");
            String run = UUID.randomUUID().toString();
            String big = "x".repeat(4000);
            List<String> sent = new ArrayList<>();
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                // ~20 MB: more than the loopback socket buffers of the stalled client hold.
                for (int i = 0; i < 5000; i++) {
                    String message = i + " " + run + " " + big;
                    sent.add(message);
                    producer.send(KafkaClients.textRecord(message));
                }
            }

            await("all 5000 at the healthy socket").atMost(Duration.ofSeconds(90))
                    .until(() -> healthy.notification(sent.get(sent.size() - 1)).isPresent());
            assertThat(healthy.frames().stream().filter(f -> f.path("message").asText().contains(run)).count(), equalTo(5000L));
            assertThat(healthy.isOpen(), is(true));
            await("the stalled socket to be closed").atMost(SocketClient.DELIVERY_TIMEOUT)
                    .until(() -> metric("notifications_slow_disconnects_total") > slowBefore);
            assertThat(metric("notifications_dropped_total{reason=\"slow\"}") > 0, is(true));
            stalled.abort();
        }
    }

    @Test
    void aSocketPublishingTooFastIsToldSoAndTheRestIsPublished() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String run = UUID.randomUUID().toString();
            for (int i = 0; i < 10; i++) {
                client.send("{\"message\":\"burst " + i + " " + run + "\"}");
            }
            await("5 published and 5 refused").atMost(SocketClient.DELIVERY_TIMEOUT).until(() ->
                    client.frames().stream().filter(f -> f.path("code").asText().equals("rate-limited")).count() == 5
                            && client.frames().stream().filter(f -> f.path("message").asText().endsWith(run)).count() == 5);
            assertThat(client.frames().stream().filter(f -> f.path("code").asText().equals("rate-limited"))
                    .allMatch(f -> f.get("status").asInt() == 429), is(true));
        }
    }

    @Test
    void oversizedFrameClosesTheSocketWith1009() {
        AtomicInteger code = new AtomicInteger();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create(baseUri.toString().replaceFirst("^http", "ws")).resolve("/ws/notifications"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                                code.set(statusCode);
                                return null;
                            }
                        }).join();
        socket.sendText("{\"message\":\"" + "x".repeat(70_000) + "\"}", true);
        await("a 1009 close").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> code.get() == 1009);
    }

    @Test
    void otherSitesPagesAreRefusedAndAllowedOnesAccepted() {
        assertThat(upgradeStatus("https://evil.example.net"), equalTo(403));
        assertThat(upgradeStatus("https://dashboard.example.com"), equalTo(101));
        assertThat(upgradeStatus(baseUri.toString().replaceAll("/$", "")), equalTo(101));
    }

    @Test
    void connectionsPastTheLimitAreRefusedWith503() {
        List<SocketClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                open.add(SocketClient.connect(baseUri));
            }
            assertThat(upgradeStatus(null), equalTo(503));
        } finally {
            open.forEach(SocketClient::close);
        }
        await().atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> upgradeStatus(null) == 101);
    }

    /** The HTTP status of an upgrade request (101 when the socket opened). */
    private int upgradeStatus(String origin) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (origin != null) {
            builder.header("Origin", origin);
        }
        try {
            builder.buildAsync(URI.create(baseUri.toString().replaceFirst("^http", "ws")).resolve("/ws/notifications"),
                    new WebSocket.Listener() {
                    }).join().abort();
            return 101;
        } catch (CompletionException e) {
            assertThat(e.getCause(), instanceOf(WebSocketHandshakeException.class));
            return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        }
    }

    private static double metric(String name) {
        for (String line : given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.split(" ")[1]);
            }
        }
        throw new AssertionError(name + " not exposed");
    }

}
