package org.acme.notifications.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketClientConnection;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** A real WebSocket client of {@code /ws/notifications} (the websockets-next client) that records every frame. */
public final class SocketClient implements AutoCloseable {

    public static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<JsonNode> frames = new CopyOnWriteArrayList<>();
    private final AtomicReference<CloseReason> closeReason = new AtomicReference<>();
    private final WebSocketClientConnection connection;

    private SocketClient(URI baseUri, String apiKey) {
        BasicWebSocketConnector connector = BasicWebSocketConnector.create()
                .baseUri(baseUri)
                .path("/ws/notifications")
                .onTextMessage((c, text) -> frames.add(parse(text)))
                .onClose((c, reason) -> closeReason.set(reason));
        if (apiKey != null) {
            connector.addHeader("Authorization", "Bearer " + apiKey);
        }
        connection = connector.connectAndAwait();
    }

    public static SocketClient connect(URI baseUri) {
        return new SocketClient(baseUri, null);
    }

    /** Connects with {@code Authorization: Bearer <apiKey>}. */
    public static SocketClient connect(URI baseUri, String apiKey) {
        return new SocketClient(baseUri, apiKey);
    }

    public void send(String text) {
        connection.sendTextAndAwait(text);
    }

    public boolean isOpen() {
        return connection.isOpen();
    }

    public List<JsonNode> frames() {
        return List.copyOf(frames);
    }

    public Optional<JsonNode> notification(String message) {
        return frames.stream().filter(f -> f.has("message") && message.equals(f.get("message").asText())).findFirst();
    }

    /** The notification frame carrying {@code message}, once it arrived. */
    public JsonNode awaitNotification(String message) {
        await("notification '" + message + "'").atMost(DELIVERY_TIMEOUT).until(() -> notification(message).isPresent());
        return notification(message).orElseThrow();
    }

    public JsonNode awaitFrame(String description, Predicate<JsonNode> matching) {
        await(description).atMost(DELIVERY_TIMEOUT).until(() -> frames.stream().anyMatch(matching));
        return frames.stream().filter(matching).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        if (connection.isOpen()) {
            connection.closeAndAwait();
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("Server sent a frame that is not JSON: " + text, e);
        }
    }
}
