package org.acme.notifications.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * A subscriber that stays subscribed the way the JavaScript client does with {@code transport: 'websocket'}
 * ({@code src/main/client/notifications-client.js}; it never falls back to the event stream): when its socket drops,
 * or an upgrade is refused, it reconnects (it has no connect timeout: Vert.x's request timeout would also close an idle
 * socket) after a random wait up to a backoff that
 * doubles from 500 ms to 20 s (back to 500 ms once a connection stayed up 10 s), resuming with {@code ?since=} the
 * last id of every partition. It records every notification with the time it arrived, every control frame and every
 * drop, so that a test can check its sequence against the topic and say how long it went without delivery. Its
 * socket's event loop does the work; every method is synchronized, so the test thread may read it and close it.
 */
public final class ResumingSubscriber {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BACKOFF_MIN_MS = 500;
    private static final long BACKOFF_MAX_MS = 20_000;
    private static final long STABLE_AFTER_MS = 10_000;

    /** One notification as it arrived. */
    public record Delivery(int partition, long offset, String message, long arrivedNanos) {
    }

    /** A socket that ended without {@link #close()}: its close code (1006 when it broke) and when. */
    public record Drop(int code, long atNanos) {
    }

    /**
     * What a drop cost: until a socket was open again ({@code reopenedNanos}, from the drop), and how long the
     * subscriber went without delivery (from the last notification before the drop to the first after).
     */
    public record Outage(Drop drop, long reopenedNanos, long withoutDeliveryNanos) {
    }

    private final Vertx vertx;
    private final WebSocketClient client;
    private final String host;
    private final int port;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final Map<Integer, Long> positions = new TreeMap<>();
    private final List<JsonNode> controls = new ArrayList<>();
    private final List<Drop> drops = new ArrayList<>();
    private final List<Outage> outages = new ArrayList<>();
    private final Map<String, Integer> refusals = new TreeMap<>();
    /** The first drop since the last delivery: an outage lasts until the next one. */
    private Drop undelivered;
    /** When a socket opened again after {@link #undelivered}; 0 until it did. */
    private long reopenedAtNanos;
    private long backoffMs = BACKOFF_MIN_MS;
    private WebSocket socket;
    private int opened; // connections so far: tells a stale timer from the current connection's
    private boolean closed;

    private ResumingSubscriber(Vertx vertx, WebSocketClient client, String host, int port) {
        this.vertx = vertx;
        this.client = client;
        this.host = host;
        this.port = port;
    }

    /**
     * Connects over {@code wss://host:port/ws/notifications} with {@code client} (its TLS settings), and stays connected.
     * Called from a thread outside Vert.x, every subscriber of one {@code vertx} runs on the same event loop of it.
     */
    public static ResumingSubscriber connect(Vertx vertx, WebSocketClient client, String host, int port) {
        ResumingSubscriber subscriber = new ResumingSubscriber(vertx, client, host, port);
        vertx.runOnContext(ignored -> subscriber.open());
        return subscriber;
    }

    private synchronized void open() {
        if (closed) {
            return;
        }
        String since = positions.entrySet().stream().map(at -> at.getKey() + "-" + at.getValue()).collect(Collectors.joining(","));
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(host).setPort(port).setSsl(true)
                .setURI("/ws/notifications" + (since.isEmpty() ? "" : "?since=" + since));
        client.connect(options).onComplete(result -> {
            if (result.succeeded()) {
                attach(result.result());
            } else {
                refused(result.cause());
                retry(); // refused (a 503 from a replica shutting down, a 502 from nginx): as the library, wait and retry
            }
        });
    }

    private synchronized void refused(Throwable cause) {
        String why = cause instanceof UpgradeRejectedException rejected ? String.valueOf(rejected.getStatus())
                : cause.getClass().getSimpleName();
        refusals.merge(why, 1, Integer::sum);
    }

    private synchronized void attach(WebSocket opening) {
        if (closed) {
            opening.close();
            return;
        }
        socket = opening;
        if (undelivered != null && reopenedAtNanos == 0) {
            reopenedAtNanos = System.nanoTime();
        }
        int connection = ++opened;
        opening.textMessageHandler(this::onFrame);
        opening.closeHandler(ignored -> onClose(opening));
        // Only a connection that stays up resets the backoff: one closed at once is a failure too.
        vertx.setTimer(STABLE_AFTER_MS, ignored -> {
            synchronized (this) {
                if (opened == connection && socket == opening) {
                    backoffMs = BACKOFF_MIN_MS;
                }
            }
        });
    }

    private synchronized void onFrame(String text) {
        long now = System.nanoTime();
        JsonNode frame = parse(text);
        if (!frame.has("id") || !frame.has("message")) {
            controls.add(frame);
            return;
        }
        String[] id = frame.get("id").asText().split("-");
        Delivery delivery = new Delivery(Integer.parseInt(id[0]), Long.parseLong(id[1]), frame.get("message").asText(), now);
        if (undelivered != null) {
            long lastBefore = deliveries.isEmpty() ? undelivered.atNanos() : deliveries.get(deliveries.size() - 1).arrivedNanos();
            outages.add(new Outage(undelivered, reopenedAtNanos - undelivered.atNanos(), now - lastBefore));
            undelivered = null;
            reopenedAtNanos = 0;
        }
        deliveries.add(delivery);
        positions.merge(delivery.partition(), delivery.offset(), Math::max); // a repeat never moves the position back
    }

    private synchronized void onClose(WebSocket ended) {
        if (ended != socket) {
            return;
        }
        socket = null;
        if (closed) {
            return;
        }
        Short code = ended.closeStatusCode();
        Drop drop = new Drop(code == null ? 1006 : code, System.nanoTime());
        drops.add(drop);
        if (undelivered == null) {
            undelivered = drop;
        }
        retry();
    }

    private synchronized void retry() {
        if (closed) {
            return;
        }
        long waitMs = Math.max(1, (long) (ThreadLocalRandom.current().nextDouble() * backoffMs)); // full jitter
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
        vertx.setTimer(waitMs, ignored -> open());
    }

    /** Whether a socket is open now. */
    public synchronized boolean isOpen() {
        return socket != null;
    }

    public synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** The offset of the last notification delivered from {@code partition}; -1 before any. */
    public synchronized long position(int partition) {
        return positions.getOrDefault(partition, -1L);
    }

    /** Whether {@code message} has arrived. */
    public synchronized boolean received(String message) {
        for (int i = deliveries.size() - 1; i >= 0; i--) {
            if (deliveries.get(i).message().equals(message)) {
                return true;
            }
        }
        return false;
    }

    /** The frames that were not notifications ({@code resumed}, {@code history-gap}, ...). */
    public synchronized List<JsonNode> controls() {
        return List.copyOf(controls);
    }

    public synchronized List<Drop> drops() {
        return List.copyOf(drops);
    }

    /** One per run of drops that was followed by a delivery. */
    public synchronized List<Outage> outages() {
        return List.copyOf(outages);
    }

    /** Reconnects that failed, by why: the HTTP status of a refused upgrade, or the exception's class. */
    public synchronized Map<String, Integer> refusals() {
        return Map.copyOf(refusals);
    }

    /** Closes for good: no reconnect. */
    public synchronized void close() {
        closed = true;
        if (socket != null) {
            socket.close();
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
