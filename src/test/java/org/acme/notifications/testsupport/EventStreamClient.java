package org.acme.notifications.testsupport;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A Server-Sent Events client on the JDK's HTTP client, as a program would use {@code GET /sse/notifications}: it reads
 * the stream line by line, as the SSE specification parses it, and records each event (its {@code event:} name,
 * {@code id:} and {@code data:}) and each comment.
 */
public final class EventStreamClient implements AutoCloseable {

    /**
     * One event: {@code name} is "message" for a notification (no {@code event:} line). Its JSON is parsed once, as
     * it arrives, so that polling a long stream costs little.
     */
    public record Event(String name, String id, String data, JsonNode json) {

        Event(String name, String id, String data) {
            this(name, id, data, Json.parse(data));
        }
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Map<String, JsonNode> byMessage = new ConcurrentHashMap<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> status = new CompletableFuture<>();
    private final CompletableFuture<String> body = new CompletableFuture<>(); // a refusal's body
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final AtomicInteger retry = new AtomicInteger(-1);
    private volatile HttpClient.Version version;
    private volatile Flow.Subscription subscription;

    private EventStreamClient() {
    }

    /** Opens {@code /sse/notifications} plus {@code query} (empty, or starting with ?), with {@code headers}. */
    public static EventStreamClient open(URI baseUri, String query, Map<String, String> headers) {
        return open(HttpClient.newHttpClient(), baseUri, query, headers);
    }

    /** As {@link #open(URI, String, Map)}, with {@code http} (its version, its TLS). */
    public static EventStreamClient open(HttpClient http, URI baseUri, String query, Map<String, String> headers) {
        EventStreamClient client = new EventStreamClient();
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUri.resolve("/sse/notifications" + query)).GET();
        headers.forEach(request::header);
        http.sendAsync(request.build(), response -> {
            client.version = response.version();
            client.status.complete(response.statusCode());
            return response.statusCode() == 200
                    ? HttpResponse.BodySubscribers.fromLineSubscriber(client.new Lines())
                    : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(java.nio.charset.StandardCharsets.UTF_8),
                    text -> {
                        client.body.complete(text);
                        return null;
                    });
        }).whenComplete((response, failure) -> {
            client.status.complete(-1);
            client.ended.complete(null);
        });
        return client;
    }

    /** The response's status (-1 when the connection failed first). */
    public int status() {
        return status.join();
    }

    /** The body of a refusal. */
    public JsonNode problem() {
        return Json.parse(body.join());
    }

    public HttpClient.Version version() {
        status();
        return version;
    }

    /** The {@code retry:} the stream set, or -1. */
    public int retry() {
        return retry.get();
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    public List<String> comments() {
        return List.copyOf(comments);
    }

    /** The notifications received, in order. */
    public List<JsonNode> notifications() {
        return events.stream().filter(event -> event.name().equals("message")).map(Event::json).toList();
    }

    /** The messages of the notifications received, in order. */
    public List<String> messages() {
        return notifications().stream().map(notification -> notification.path("message").asText()).toList();
    }

    /** The first notification received with that message. */
    public Optional<JsonNode> notification(String message) {
        return Optional.ofNullable(byMessage.get(message));
    }

    /** The {@code id:} of the last event that had one: what a browser would send back as {@code Last-Event-ID}. */
    public String lastEventId() {
        String last = null;
        for (Event event : events) {
            if (event.id() != null) {
                last = event.id();
            }
        }
        return last;
    }

    public JsonNode awaitNotification(String message) {
        await("notification '" + message + "' on the stream").atMost(SocketClient.DELIVERY_TIMEOUT)
                .until(() -> notification(message).isPresent());
        return notification(message).orElseThrow();
    }

    public Event awaitEvent(String description, Predicate<Event> matching) {
        await(description).atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> events.stream().anyMatch(matching));
        return events.stream().filter(matching).findFirst().orElseThrow();
    }

    /** Whether the server ended the stream (or the connection broke). */
    public boolean ended() {
        return ended.isDone();
    }

    @Override
    public void close() {
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
    }

    /** The SSE parser: fields until a blank line, which dispatches the event. */
    private final class Lines implements Flow.Subscriber<String> {
        private String name;
        private String id;
        private final List<String> data = new ArrayList<>();

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            EventStreamClient.this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    Event event = new Event(name == null ? "message" : name, id, String.join("\n", data));
                    if (event.name().equals("message")) {
                        byMessage.putIfAbsent(event.json().path("message").asText(), event.json());
                    }
                    events.add(event);
                }
                name = null;
                id = null;
                data.clear();
                return;
            }
            if (line.startsWith(":")) {
                comments.add(line.substring(1).strip());
                return;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(line.startsWith(" ", colon + 1) ? colon + 2 : colon + 1);
            switch (field) {
                case "event" -> name = value;
                case "id" -> id = value;
                case "data" -> data.add(value);
                case "retry" -> retry.set(Integer.parseInt(value));
                default -> throw new AssertionError("Not an SSE field: " + line);
            }
        }

        @Override
        public void onError(Throwable failure) {
            ended.complete(null);
        }

        @Override
        public void onComplete() {
            ended.complete(null);
        }
    }
}
