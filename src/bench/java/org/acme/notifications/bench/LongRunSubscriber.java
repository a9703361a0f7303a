package org.acme.notifications.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

import java.net.URI;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One socket of the long run. It stays connected the way the JavaScript client does: whenever its socket closes it
 * opens another, resuming with {@code ?since=} the last id of every partition and {@code ?channels=} what it is
 * subscribed to. The run tells it to reconnect and to move from one channel to another. It keeps what it received as
 * sequence numbers (a bit each), and counts what came twice, out of the topic's order, or was not for it. Its event
 * loop does the work; the run's threads call in through the synchronized methods.
 */
final class LongRunSubscriber {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Context context;
    private final WebSocketClient client;
    private final URI url;
    private final String marker;
    private final String user;
    private final String authorization;
    private final BitSet received = new BitSet();
    private final Map<Integer, Long> positions = new TreeMap<>();
    private final Set<String> channels = new TreeSet<>();
    private final Set<String> everSubscribed = new HashSet<>();
    /** Per channel, the times it was subscribed: [from the subscribed frame, to the unsubscribe frame sent). */
    private final Map<String, List<long[]>> spans = new HashMap<>();
    private final Map<String, Integer> controls = new TreeMap<>();
    private final Map<Integer, Integer> drops = new TreeMap<>();
    private long firstOpenNanos;
    private long openedAtNanos;
    private long duplicates;
    private long outOfOrder;
    private long notForIt;
    private long refusals;
    private String firstError;
    private WebSocket socket;
    private boolean reconnectAsked;
    private boolean closed;

    /**
     * @param runId marks this run's messages ({@link LongRun#message})
     * @param user null for an anonymous socket; else the user its token is for
     */
    LongRunSubscriber(Context context, WebSocketClient client, URI url, String runId, String user, String token,
                      Set<String> channels) {
        this.context = context;
        this.client = client;
        this.url = url;
        this.marker = LongRun.message(runId, "");
        this.user = user;
        this.authorization = token == null ? null : "Bearer " + token;
        this.channels.addAll(channels);
        this.everSubscribed.addAll(channels);
    }

    void start() {
        context.runOnContext(ignored -> open());
    }

    private synchronized void open() {
        if (closed) {
            return;
        }
        String since = positions.entrySet().stream().map(at -> at.getKey() + "-" + at.getValue()).collect(Collectors.joining(","));
        String query = "?channels=" + String.join(",", channels) + (since.isEmpty() ? "" : "&since=" + since);
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
                .setURI("/ws/notifications" + query);
        if (authorization != null) {
            options.addHeader("Authorization", authorization);
        }
        client.connect(options).onComplete(result -> {
            if (result.succeeded()) {
                attach(result.result());
            } else {
                refused();
            }
        });
    }

    private synchronized void attach(WebSocket opening) {
        if (closed) {
            opening.close();
            return;
        }
        socket = opening;
        openedAtNanos = System.nanoTime();
        if (firstOpenNanos == 0) {
            firstOpenNanos = openedAtNanos;
        }
        opening.textMessageHandler(this::onFrame);
        opening.closeHandler(ignored -> onClose(opening));
    }

    private synchronized void refused() {
        refusals++;
        reopenLater(250, 1000);
    }

    private synchronized void onClose(WebSocket ended) {
        if (ended != socket) {
            return;
        }
        socket = null;
        if (closed) {
            return;
        }
        if (reconnectAsked) {
            reconnectAsked = false;
            open();
        } else {
            Short code = ended.closeStatusCode();
            drops.merge(code == null ? 1006 : code.intValue(), 1, Integer::sum);
            reopenLater(250, 1000); // as the library: wait a moment before trying again
        }
    }

    private void reopenLater(long minMs, long maxMs) {
        context.owner().setTimer(ThreadLocalRandom.current().nextLong(minMs, maxMs), ignored -> open());
    }

    private synchronized void onFrame(String text) {
        JsonNode frame = parse(text);
        if (frame.has("id") && frame.has("message")) {
            onNotification(frame);
            return;
        }
        String type = frame.path("type").asText("?");
        controls.merge(type, 1, Integer::sum);
        if (type.equals("subscribed")) {
            String channel = frame.path("channel").asText();
            List<long[]> times = spans.computeIfAbsent(channel, ignored -> new ArrayList<>());
            boolean open = !times.isEmpty() && times.get(times.size() - 1)[1] == Long.MAX_VALUE;
            if (channels.contains(channel) && !open) {
                times.add(new long[] {System.nanoTime(), Long.MAX_VALUE});
            }
        } else if (type.equals("error") && firstError == null) {
            firstError = text;
        }
    }

    private void onNotification(JsonNode frame) {
        String message = frame.get("message").asText();
        if (!message.startsWith(marker)) {
            return; // not this run's
        }
        String[] id = frame.get("id").asText().split("-");
        int partition = Integer.parseInt(id[0]);
        long offset = Long.parseLong(id[1]);
        if (offset <= positions.getOrDefault(partition, -1L)) {
            outOfOrder++;
        }
        positions.merge(partition, offset, Math::max);
        int seq = Integer.parseInt(message.substring(marker.length()));
        if (received.get(seq)) {
            duplicates++;
        }
        received.set(seq);
        JsonNode channel = frame.get("channel");
        JsonNode forUser = frame.get("user");
        if ((forUser != null && !forUser.asText().equals(user)) || (channel != null && forUser == null && !everSubscribed.contains(channel.asText()))) {
            notForIt++;
        }
    }

    /**
     * Closes the socket (1000); a new one resumes where it left off. False when no socket has been open for a second,
     * or none has received anything yet: without an id there is nothing to resume from (docs/protocol.md), and a
     * client that reconnects then misses what was sent meanwhile.
     */
    synchronized boolean reconnect() {
        if (!openFor(TimeUnit.SECONDS.toNanos(1)) || reconnectAsked || positions.isEmpty()) {
            return false;
        }
        reconnectAsked = true;
        WebSocket current = socket;
        context.runOnContext(ignored -> current.close());
        return true;
    }

    /**
     * Unsubscribes from one of its channels and subscribes to {@code to} instead, on a socket open for 2 s at least
     * (so the replay of its resume is behind it). False when it did not.
     */
    synchronized boolean move(String to) {
        if (!openFor(TimeUnit.SECONDS.toNanos(2)) || reconnectAsked || channels.contains(to)) {
            return false;
        }
        List<String> current = new ArrayList<>(channels);
        String from = current.get(ThreadLocalRandom.current().nextInt(current.size()));
        channels.remove(from);
        channels.add(to);
        everSubscribed.add(to);
        List<long[]> times = spans.get(from);
        if (times != null && !times.isEmpty() && times.get(times.size() - 1)[1] == Long.MAX_VALUE) {
            times.get(times.size() - 1)[1] = System.nanoTime();
        }
        WebSocket open = socket;
        context.runOnContext(ignored -> {
            open.writeTextMessage("{\"type\":\"unsubscribe\",\"channel\":\"" + from + "\"}");
            open.writeTextMessage("{\"type\":\"subscribe\",\"channel\":\"" + to + "\"}");
        });
        return true;
    }

    private boolean openFor(long nanos) {
        return socket != null && System.nanoTime() - openedAtNanos >= nanos;
    }

    /**
     * Whether it must have received a notification sent at {@code sentNanos} for everyone ({@code channel} and
     * {@code forUser} null), a channel or a user: sent a second after its first socket opened (the service may still
     * be registering a socket its upgrade answered), and for a channel while subscribed, more than {@code marginNanos}
     * before it unsubscribed.
     */
    synchronized boolean expects(long sentNanos, String channel, String forUser, long marginNanos) {
        if (firstOpenNanos == 0 || sentNanos < firstOpenNanos + TimeUnit.SECONDS.toNanos(1)) {
            return false;
        }
        if (forUser != null) {
            return forUser.equals(user);
        }
        if (channel == null) {
            return true;
        }
        for (long[] span : spans.getOrDefault(channel, List.of())) {
            if (sentNanos >= span[0] && sentNanos < span[1] - marginNanos) {
                return true;
            }
        }
        return false;
    }

    synchronized boolean received(int seq) {
        return received.get(seq);
    }

    synchronized long receivedCount() {
        return received.cardinality();
    }

    synchronized long duplicates() {
        return duplicates;
    }

    synchronized long outOfOrder() {
        return outOfOrder;
    }

    synchronized long notForIt() {
        return notForIt;
    }

    synchronized long refusals() {
        return refusals;
    }

    /** Closes the server made, by code. */
    synchronized Map<Integer, Integer> drops() {
        return Map.copyOf(drops);
    }

    /** Control frames by type. */
    synchronized Map<String, Integer> controls() {
        return Map.copyOf(controls);
    }

    synchronized String firstError() {
        return firstError;
    }

    synchronized boolean isOpen() {
        return socket != null;
    }

    /** Closes for good. */
    synchronized void close() {
        closed = true;
        WebSocket current = socket;
        if (current != null) {
            context.runOnContext(ignored -> current.close());
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Not JSON: " + text, e);
        }
    }
}
