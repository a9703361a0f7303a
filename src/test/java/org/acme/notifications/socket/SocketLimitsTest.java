package org.acme.notifications.socket;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.BacklogLoad;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.StalledSocket;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * The socket's limits, set small so that a test reaches them: publishing past the rate, a client that stops
 * reading (4008), one that sends without end and reads nothing, oversized frames (1009), other sites' pages
 * (403), and the connection limit (503), also for upgrades arriving together.
 */
@QuarkusTest
@TestProfile(SocketLimitsTest.SmallLimits.class)
@WithTestResource(KafkaBrokerResource.class)
public class SocketLimitsTest {

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "notifications.socket.max-connections", "4",
                    "notifications.socket.max-pending-frames", "300",
                    "notifications.socket.allowed-origins", "https://dashboard.example.com",
                    "notifications.socket.publish-rate", "1",
                    "notifications.socket.publish-burst", "5",
                    "notifications.sse.keep-alive", "1s");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void aStalledClientIsClosedAndOthersGetEverything() throws Exception {
        try (SocketClient healthy = SocketClient.connect(baseUri); StalledSocket stalled = StalledSocket.open(baseUri, "")) {
            Pipeline.awaitReady(healthy);
            double slowBefore = Metrics.value(baseUri, "notifications_slow_disconnects_total");
            String run = UUID.randomUUID().toString();
            List<String> sent = BacklogLoad.send(bootstrapServers, run, message -> healthy.notification(message).isPresent(), () -> !healthy.isOpen());

            // Read as soon as the server gave up on it: the close frame waits behind what it did not read, and after
            // a grace of 10 s the connection is dropped, close frame and all.
            await("the stalled socket closed").atMost(Duration.ofSeconds(90))
                    .until(() -> Metrics.value(baseUri, "notifications_slow_disconnects_total") > slowBefore);
            StalledSocket.Backlog backlog = stalled.readUntilClose(SocketClient.DELIVERY_TIMEOUT);
            assertThat(backlog.closeCode(), equalTo(4008));

            assertThat(healthy.frames().stream().filter(f -> f.path("message").asText().contains(run)).count(), equalTo((long) sent.size()));
            assertThat(healthy.isOpen(), is(true));
        }
    }

    /**
     * A client that keeps sending frames (each answered with an error frame) and reads nothing: once its
     * replies back up, the server closes it (4008, counted as a slow disconnect) and then drops the
     * connection, instead of queueing replies for it without end. The client sees a failed write.
     */
    @Test
    void aClientThatSendsButNeverReadsIsDisconnected() throws Exception {
        double slowBefore = Metrics.value(baseUri, "notifications_slow_disconnects_total");
        try (StalledSocket client = StalledSocket.open(baseUri, "")) {
            AtomicInteger sent = new AtomicInteger();
            // A thread of its own: the common pool may be busy with others' tasks (one thread on two cores).
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        client.send("not json " + sent.incrementAndGet());
                    }
                } catch (IOException dropped) {
                    // what this test waits for
                }
            }, runnable -> new Thread(runnable, "never-reading-client").start());
            await("the server to drop the connection").atMost(Duration.ofSeconds(60))
                    .until(sending::isDone);
            assertThat(Metrics.value(baseUri, "notifications_slow_disconnects_total"), greaterThan(slowBefore));
        }
    }

    /** Frames of any kind are limited before they are read: a burst past it is answered, not parsed, and the socket stays. */
    @Test
    void aSocketSendingFramesTooFastIsToldSo() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            for (int i = 0; i < 260; i++) {
                client.send("{\"type\":\"subscribe\",\"channel\":\"news\"}");
            }
            JsonNode refused = client.awaitFrame("a frame refused unread",
                    f -> f.path("code").asText().equals("rate-limited") && f.path("detail").asText().startsWith("Too many frames"));
            assertThat(refused.get("status").asInt(), is(429));
            assertThat(client.isOpen(), is(true));
        }
    }

    @Test
    void aSocketPublishingTooFastIsToldSoAndTheRestIsPublished() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String run = UUID.randomUUID().toString();
            for (int i = 0; i < 10; i++) {
                client.send(Json.object("message", "burst " + i + " " + run));
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
                .buildAsync(SocketClient.socketUri(baseUri, ""),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                                code.set(statusCode);
                                return null;
                            }
                        }).join();
        socket.sendText(Json.object("message", "x".repeat(70_000)), true);
        await("a 1009 close").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> code.get() == 1009);
    }

    @Test
    void otherSitesPagesAreRefusedAndAllowedOnesAccepted() {
        assertThat(SocketClient.upgradeStatus(baseUri, Map.of("Origin", "https://evil.example.net")), equalTo(403));
        assertThat(SocketClient.upgradeStatus(baseUri, Map.of("Origin", "https://dashboard.example.com")), equalTo(101));
        assertThat(SocketClient.upgradeStatus(baseUri, Map.of("Origin", baseUri.toString().replaceAll("/$", ""))), equalTo(101));
    }

    @Test
    void connectionsPastTheLimitAreRefusedWith503() {
        List<SocketClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                open.add(SocketClient.connect(baseUri));
            }
            assertThat(SocketClient.upgradeStatus(baseUri, Map.of()), equalTo(503));
        } finally {
            open.forEach(SocketClient::close);
        }
        await().atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> SocketClient.upgradeStatus(baseUri, Map.of()) == 101);
    }

    @Test
    void upgradesArrivingTogetherOpenExactlyTheLimit() {
        await("no socket open").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> Metrics.value(baseUri, "notifications_connections") == 0);
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<WebSocket>> upgrades = IntStream.range(0, 40)
                .mapToObj(i -> http.newWebSocketBuilder().buildAsync(SocketClient.socketUri(baseUri, ""), new WebSocket.Listener() {
                })).toList();
        List<WebSocket> opened = new ArrayList<>();
        int refused = 0;
        for (CompletableFuture<WebSocket> upgrade : upgrades) {
            try {
                opened.add(upgrade.join());
            } catch (CompletionException e) {
                assertThat(e.getCause(), instanceOf(WebSocketHandshakeException.class));
                assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode(), equalTo(503));
                refused++;
            }
        }
        opened.forEach(WebSocket::abort);
        assertThat(opened.size(), equalTo(4));
        assertThat(refused, equalTo(36));
    }
}
