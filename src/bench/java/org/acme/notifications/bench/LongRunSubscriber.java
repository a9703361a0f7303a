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

/**
 * One socket of the long run, on a topic of one partition (the bench broker's), so that every position is one offset.
 * It stays connected the way the JavaScript client does: whenever its socket closes it opens another, resuming with
 * {@code ?since=} its last offset and {@code ?channels=} what it is subscribed to. The run tells it to reconnect and to
 * move from one channel to another. It keeps what it received as sequence numbers (a bit each), the offsets between
 * which it was subscribed to each channel (from the server's {@code subscribed} and {@code unsubscribed} answers), and
 * counts what came twice, out of the topic's order, or was not for it. Its event loop does the work; the run's threads
 * call in through the synchronized methods.
 */
final class LongRunSubscriber {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A span that starts at the socket's first delivery: subscribed with {@code ?channels=} at the first connect. */
    private static final long FROM_FIRST = Long.MIN_VALUE;
    private static final long STILL_SUBSCRIBED = Long.MAX_VALUE;

    /** The channel notifications it must get are those with an offset in (from, to]. */
    private static final class Span {
        final long from;
        long to = STILL_SUBSCRIBED;
        boolean unsubscribing;

        Span(long from) {
            this.from = from;
        }
    }

    private final Context context;
    private final WebSocketClient client;
    private final URI url;
    private final String marker;
    private final String user;
    private final String authorization;
    private final BitSet received = new BitSet();
    /** What it asks for: the channels of its next {@code ?channels=}. */
    private final Set<String> channels = new TreeSet<>();
    /** What the server has for the current socket: its {@code ?channels=}, then its answers. */
    private final Set<String> serverChannels = new HashSet<>();
    private final Map<String, List<Span>> spans = new HashMap<>();
    private final Map<String, Integer> controls = new TreeMap<>();
    private final Map<Integer, Integer> closes = new TreeMap<>();
    private long firstOffset = -1;
    private long lastOffset = -1;
    private long connectionSince = -1;
    private long openedAtNanos;
    private long duplicates;
    private long outOfOrder;
    private long notForIt;
    private long errors;
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
    }

    void start() {
        context.runOnContext(ignored -> open());
    }

    private synchronized void open() {
        if (closed) {
            return;
        }
        long since = lastOffset;
        String query = "?channels=" + String.join(",", channels) + (since < 0 ? "" : "&since=0-" + since);
        Set<String> asked = Set.copyOf(channels);
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
                .setURI("/ws/notifications" + query);
        if (authorization != null) {
            options.addHeader("Authorization", authorization);
        }
        client.connect(options).onComplete(result -> {
            if (result.succeeded()) {
                attach(result.result(), since, asked);
            } else {
                refused();
            }
        });
    }

    private synchronized void attach(WebSocket opening, long since, Set<String> asked) {
        if (closed) {
            opening.close();
            return;
        }
        socket = opening;
        openedAtNanos = System.nanoTime();
        connectionSince = since;
        serverChannels.clear();
        serverChannels.addAll(asked);
        opening.textMessageHandler(this::onFrame);
        opening.closeHandler(ignored -> onClose(opening));
    }

    private synchronized void refused() {
        refusals++;
        reopenLater();
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
            closes.merge(code == null ? 1006 : code.intValue(), 1, Integer::sum);
            reopenLater();
        }
    }

    /** As the library does after a drop: wait a moment before trying again. */
    private void reopenLater() {
        context.owner().setTimer(ThreadLocalRandom.current().nextLong(250, 1000), ignored -> open());
    }

    private synchronized void onFrame(String text) {
        JsonNode frame;
        try {
            frame = JSON.readTree(text);
        } catch (JsonProcessingException notJson) {
            error(text);
            return;
        }
        if (frame.has("id") && frame.has("message")) {
            onNotification(frame);
            return;
        }
        String type = frame.path("type").asText("?");
        controls.merge(type, 1, Integer::sum);
        String channel = frame.path("channel").asText();
        switch (type) {
            case "subscribed" -> subscribed(channel, frame.path("after").asText(null));
            case "unsubscribed" -> unsubscribed(channel, frame.path("after").asText(null));
            case "error", "history-gap", "unknown-id" -> error(text);
            default -> { } // resumed, inbox, pong
        }
    }

    /**
     * Its channel notifications follow: those after {@code after} (a subscribe on the open socket), or (an answer to
     * {@code ?channels=}) from where this socket started: its {@code since}, or its first delivery.
     */
    private void subscribed(String channel, String after) {
        serverChannels.add(channel);
        List<Span> times = spans.computeIfAbsent(channel, ignored -> new ArrayList<>());
        boolean open = !times.isEmpty() && times.get(times.size() - 1).to == STILL_SUBSCRIBED;
        if (channels.contains(channel) && !open) {
            times.add(new Span(after != null ? offset(after) : connectionSince >= 0 ? connectionSince : FROM_FIRST));
        }
    }

    /** None of its notifications after {@code after} follow: those up to it did. */
    private void unsubscribed(String channel, String after) {
        serverChannels.remove(channel);
        List<Span> times = spans.getOrDefault(channel, List.of());
        if (!times.isEmpty() && times.get(times.size() - 1).unsubscribing && after != null) {
            Span last = times.get(times.size() - 1);
            last.to = offset(after);
            last.unsubscribing = false;
        }
    }

    private void onNotification(JsonNode frame) {
        String message = frame.get("message").asText();
        if (!message.startsWith(marker)) {
            return; // not this run's
        }
        String id = frame.get("id").asText();
        if (!id.startsWith("0-")) {
            error("LongRun reads a topic of one partition; got " + id);
            return;
        }
        long offset = offset(id);
        int seq = Integer.parseInt(message.substring(marker.length()));
        if (received.get(seq)) {
            duplicates++;
        } else if (offset <= lastOffset) {
            outOfOrder++;
        }
        received.set(seq);
        lastOffset = Math.max(lastOffset, offset);
        if (firstOffset < 0) {
            firstOffset = offset;
        }
        JsonNode channel = frame.get("channel");
        JsonNode forUser = frame.get("user");
        if (forUser != null ? !forUser.asText().equals(user) : channel != null && !serverChannels.contains(channel.asText())) {
            notForIt++;
        }
    }

    private void error(String what) {
        errors++;
        if (firstError == null) {
            firstError = what;
        }
    }

    /**
     * Closes the socket (1000); a new one resumes where it left off. False when no socket has been open for a second,
     * or none has received anything yet: without an id there is nothing to resume from (docs/protocol.md), and a
     * client that reconnects then misses what was sent meanwhile.
     */
    synchronized boolean reconnect() {
        if (!openFor(TimeUnit.SECONDS.toNanos(1)) || reconnectAsked || lastOffset < 0) {
            return false;
        }
        reconnectAsked = true;
        WebSocket open = socket;
        context.runOnContext(ignored -> open.close());
        return true;
    }

    /**
     * Unsubscribes from one of its channels and subscribes to {@code to} instead, on a socket open for 2 s at least
     * (its resume's replay behind it). False when it did not. Until the server answers, the span it leaves ends at its
     * last offset: what came after that may or may not be sent to it, so it is not counted on.
     */
    synchronized boolean move(String to) {
        if (!openFor(TimeUnit.SECONDS.toNanos(2)) || reconnectAsked || channels.contains(to)) {
            return false;
        }
        List<String> current = new ArrayList<>(channels);
        String from = current.get(ThreadLocalRandom.current().nextInt(current.size()));
        channels.remove(from);
        channels.add(to);
        List<Span> times = spans.getOrDefault(from, List.of());
        if (!times.isEmpty() && times.get(times.size() - 1).to == STILL_SUBSCRIBED) {
            Span last = times.get(times.size() - 1);
            last.to = lastOffset;
            last.unsubscribing = true;
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
     * Whether it must have received the notification at {@code offset} for everyone ({@code channel} and
     * {@code forUser} null), a channel or a user: any after its first delivery (its first socket was live from
     * somewhere before that, and every later one resumed), and for a channel one inside a span it was subscribed.
     */
    synchronized boolean expects(long offset, String channel, String forUser) {
        if (firstOffset < 0 || offset <= firstOffset) {
            return false;
        }
        if (forUser != null) {
            return forUser.equals(user);
        }
        if (channel == null) {
            return true;
        }
        for (Span span : spans.getOrDefault(channel, List.of())) {
            long from = span.from == FROM_FIRST ? firstOffset : span.from;
            if (offset > from && offset <= span.to) {
                return true;
            }
        }
        return false;
    }

    private static long offset(String id) {
        return Long.parseLong(id.substring(id.indexOf('-') + 1));
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

    /** Error frames, history gaps, unknown ids, frames that are not JSON, ids of another partition. */
    synchronized long errors() {
        return errors;
    }

    synchronized String firstError() {
        return firstError;
    }

    synchronized long refusals() {
        return refusals;
    }

    /** Closes the server made, by code. */
    synchronized Map<Integer, Integer> closes() {
        return Map.copyOf(closes);
    }

    /** Control frames by type. */
    synchronized Map<String, Integer> controls() {
        return Map.copyOf(controls);
    }

    synchronized boolean isOpen() {
        return socket != null;
    }

    /** Closes for good. */
    synchronized void close() {
        closed = true;
        WebSocket open = socket;
        if (open != null) {
            context.runOnContext(ignored -> open.close());
        }
    }
}
