package org.acme.notifications.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.WebSocketClientConnection;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A real WebSocket client of {@code /ws/notifications} that records every frame: the websockets-next
 * client in {@code @QuarkusTest}s, the JDK's own client where no Quarkus runs in the test JVM
 * ({@code @QuarkusIntegrationTest}).
 */
public final class SocketClient implements AutoCloseable {

    public static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the two client libraries have in common. */
    private interface Connection {
        void send(String text);

        void sendBinary(byte[] data);

        boolean isOpen();

        void close();
    }

    private final List<JsonNode> frames = new CopyOnWriteArrayList<>();
    private final Map<String, JsonNode> byMessage = new ConcurrentHashMap<>(); // so that polling a long run costs little
    private final AtomicInteger closeCode = new AtomicInteger(-1);
    private final Connection connection;

    /** The connector gets where to report each text frame and the close code. */
    private SocketClient(BiFunction<Consumer<String>, IntConsumer, Connection> connector) {
        this.connection = connector.apply(text -> record(parse(text)), closeCode::set);
    }

    public static SocketClient connect(URI baseUri) {
        return connect(baseUri, null);
    }

    /** Connects with {@code X-API-Key: <apiKey>} (none when null), with the websockets-next client. */
    public static SocketClient connect(URI baseUri, String apiKey) {
        return new SocketClient((onText, onClose) -> {
            BasicWebSocketConnector connector = BasicWebSocketConnector.create()
                    .baseUri(baseUri)
                    .path("/ws/notifications")
                    // On the event loop: frames are recorded in the order they arrive (a worker pool would reorder them).
                    .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                    .onTextMessage((c, text) -> onText.accept(text))
                    .onClose((c, reason) -> onClose.accept(reason.getCode()));
            if (apiKey != null) {
                connector.addHeader("X-API-Key", apiKey);
            }
            WebSocketClientConnection c = connector.connect().await().atMost(DELIVERY_TIMEOUT);
            return new Connection() {
                public void send(String text) {
                    c.sendTextAndAwait(text);
                }

                public void sendBinary(byte[] data) {
                    c.sendBinaryAndAwait(data);
                }

                public boolean isOpen() {
                    return c.isOpen();
                }

                public void close() {
                    if (c.isOpen()) {
                        c.closeAndAwait();
                    }
                }
            };
        });
    }

    /** As {@link #connect(URI, String)}, with {@code java.net.http.WebSocket}. */
    public static SocketClient connectWithJdkClient(URI baseUri, String apiKey) {
        return connectWithJdkClient(baseUri, apiKey, null);
    }

    /** With the JDK's client, resuming after the notification {@code since} (none when null). */
    public static SocketClient connectWithJdkClient(URI baseUri, String apiKey, String since) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (apiKey != null) {
            builder.header("X-API-Key", apiKey);
        }
        return connectWithJdkClient(builder, socketUri(baseUri, since == null ? "" : "?since=" + since));
    }

    /**
     * With the JDK's client, as the subscriber of the access token {@code token} ({@code Authorization: Bearer}; none
     * when null), with {@code query} (empty, or starting with ?).
     */
    public static SocketClient connectWithToken(URI baseUri, String token, String query) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return connectWithJdkClient(builder, socketUri(baseUri, query));
    }

    /** As a browser sends a token, which cannot set headers: as a subprotocol, next to the one it speaks. */
    public static SocketClient connectWithTokenAsSubprotocol(URI baseUri, String token, String query) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                .subprotocols("notifications", "quarkus-http-upgrade#Authorization#Bearer%20" + token);
        return connectWithJdkClient(builder, socketUri(baseUri, query));
    }

    /** With the JDK's client, to the full socket URI ({@code ws://} or {@code wss://}, query included). */
    public static SocketClient connectWithJdkClient(WebSocket.Builder builder, URI socketUri) {
        return new SocketClient((onText, onClose) -> {
            WebSocket socket = builder.buildAsync(socketUri, new WholeMessages(onText, onClose)).join();
            return new Connection() {
                public void send(String text) {
                    socket.sendText(text, true).join();
                }

                public void sendBinary(byte[] data) {
                    socket.sendBinary(ByteBuffer.wrap(data), true).join();
                }

                public boolean isOpen() {
                    return !socket.isInputClosed() && !socket.isOutputClosed();
                }

                public void close() {
                    if (!socket.isOutputClosed()) {
                        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
                    }
                }
            };
        });
    }

    /** The HTTP status the upgrade to {@code /ws/notifications} is answered with: 101 when the socket opened (it is then closed). */
    public static int upgradeStatus(URI baseUri, Map<String, String> headers) {
        return upgradeStatus(baseUri, "", headers);
    }

    /** As {@link #upgradeStatus(URI, Map)}, with {@code query} (empty, or starting with ?). */
    public static int upgradeStatus(URI baseUri, String query, Map<String, String> headers) {
        return upgradeStatus(HttpClient.newHttpClient(), baseUri, query, headers);
    }

    /** As {@link #upgradeStatus(URI, String, Map)}, with {@code http} (a client for {@code wss://}, say). */
    public static int upgradeStatus(HttpClient http, URI baseUri, String query, Map<String, String> headers) {
        WebSocket.Builder builder = http.newWebSocketBuilder();
        headers.forEach(builder::header);
        try {
            builder.buildAsync(socketUri(baseUri, query), new WebSocket.Listener() {
            }).join().abort();
            return 101;
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    /** {@code ws://} (or {@code wss://}) {@code HOST:PORT/ws/notifications} plus {@code query} (empty, or starting with ?). */
    public static URI socketUri(URI baseUri, String query) {
        return URI.create(baseUri.toString().replaceFirst("^http", "ws")).resolve("/ws/notifications" + query);
    }

    public void send(String text) {
        connection.send(text);
    }

    public void sendBinary(byte[] data) {
        connection.sendBinary(data);
    }

    public boolean isOpen() {
        return connection.isOpen();
    }

    /** The close code the server (or the client library) reported; empty while open. */
    public Optional<Integer> closeCode() {
        return closeCode.get() == -1 ? Optional.empty() : Optional.of(closeCode.get());
    }

    public List<JsonNode> frames() {
        return List.copyOf(frames);
    }

    /** The messages of the notifications received so far, in order. */
    public List<String> messages() {
        return frames.stream().filter(f -> f.has("message")).map(f -> f.get("message").asText()).toList();
    }

    /** The types of the control frames received so far ({@code resumed}, {@code error}...), in order. */
    public List<String> controlTypes() {
        return frames.stream().filter(f -> f.has("type")).map(f -> f.get("type").asText()).toList();
    }

    /** The first notification received with that message. */
    public Optional<JsonNode> notification(String message) {
        return Optional.ofNullable(byMessage.get(message));
    }

    private void record(JsonNode frame) {
        if (frame.has("message")) {
            byMessage.putIfAbsent(frame.get("message").asText(), frame);
        }
        frames.add(frame);
    }

    /** The notification frame carrying {@code message}, once it arrived. */
    public JsonNode awaitNotification(String message) {
        await("notification '" + message + "'").atMost(DELIVERY_TIMEOUT).until(() -> notification(message).isPresent());
        return notification(message).orElseThrow();
    }

    public JsonNode awaitFrame(String description, Predicate<JsonNode> matching) {
        return awaitFrame(description, DELIVERY_TIMEOUT, matching);
    }

    /** As {@link #awaitFrame(String, Predicate)}, waiting up to {@code timeout} (a frame that comes after a server timeout). */
    public JsonNode awaitFrame(String description, Duration timeout, Predicate<JsonNode> matching) {
        await(description).atMost(timeout).until(() -> frames.stream().anyMatch(matching));
        return frames.stream().filter(matching).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        connection.close();
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("Server sent a frame that is not JSON: " + text, e);
        }
    }
}
