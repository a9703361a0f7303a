package org.acme.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.in;
import static org.hamcrest.Matchers.not;

/**
 * Random and mutated input on every way in, end to end (real HTTP on a raw TCP connection, so that any byte can be
 * sent; real sockets; a real broker): REST bodies, the socket's frames, the query strings of the socket and the stream,
 * the headers that carry credentials and origins, and Kafka records. Nothing gets a 500, no socket is closed with 1011,
 * no answer shows a stack trace, and a bystander's socket gets only what is for it, and stays open.
 *
 * <p>The input comes from a seeded {@link Random}: each test prints its seed, and {@code -Dfuzz.seed=N} replays it.
 * What a seed found becomes a test of its own, the input written out ({@link #whatTheSeedsFound}).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class HostileInputTest {

    /** Fixed, so that CI runs the same cases every time; {@code -Dfuzz.seed=N} explores others. */
    private static final long SEED = Long.getLong("fuzz.seed", 20261203L);
    private static final int CASES = 200;
    /** Fragments that break parsers: JSON structure, escapes, huge and odd numbers, surrogates, control characters, SQL and URL bits. */
    private static final List<String> FRAGMENTS = List.of("{", "}", "[", "]", "\"", "\\", ":", ",", "null", "true", "-0", "1e999999",
            "123456789012345678901234567890", "\\u0000", "\\ud800", "\ud800", "\u0000", "\u202e", "\r\n", "\t", " ", "'", "' OR 1=1 --",
            "%00", "%zz", "%", "&", "=", "#", "/", "//evil", "javascript:alert(1)", "data:text/html,x", "../", "\u00ff\u00fe", "{\"a\":",
            "\"message\"", "\"user\"", "\"channel\"", "\"link\"", "\"data\"", "\"since\"", "\"type\"", "\"subscribe\"", "0-0", "-1-1",
            "99999999999-1", "0-99999999999999999999");
    private static final List<String> BODIES = List.of(
            "{\"message\":\"hello\"}",
            "{\"message\":\"to alice\",\"user\":\"alice\",\"title\":\"t\",\"level\":\"info\"}",
            "{\"message\":\"m\",\"channel\":\"news\",\"link\":\"https://example.com/x\",\"data\":{\"a\":[1,2,{\"b\":null}]}}");
    private static final List<String> FRAMES = List.of(
            "{\"type\":\"subscribe\",\"channels\":[\"news\"]}",
            "{\"type\":\"unsubscribe\",\"channels\":[\"news\"]}",
            "{\"type\":\"ping\"}",
            "{\"message\":\"from a socket\",\"channel\":\"lobby-1\"}");
    private static final List<String> QUERIES = List.of("since=0-1", "since=0-1,1-2,2-3", "channels=news,lobby-1", "user=alice",
            "channels=news&since=0-5&user=bob", "access_token=x&api-key=y");

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "notifications.topic")
    String topic;

    private final Random random = new Random(SEED);
    private SocketClient bystander;

    @BeforeEach
    void aBystanderListens() {
        System.out.println("HostileInputTest seed: " + SEED + " (-Dfuzz.seed=" + SEED + " replays it)");
        bystander = SocketClient.connect(baseUri);
        Pipeline.awaitReady(bystander);
    }

    /** The bystander got only what is for it (broadcasts), is still open, and delivery still works. */
    @AfterEach
    void theBystanderIsUntouched() {
        String marker = "after the hostile input " + UUID.randomUUID();
        Pipeline.publish(marker);
        bystander.awaitNotification(marker);
        for (JsonNode frame : bystander.frames()) {
            assertThat(frame.toString(), frame.has("user") || frame.has("channel"), equalTo(false));
            assertThat(frame.toString(), frame.path("code").asText(), not(equalTo("server-error")));
        }
        assertThat(bystander.isOpen(), equalTo(true));
        bystander.close();
    }

    @Test
    void restBodiesNeverGetA500() throws IOException {
        for (int i = 0; i < CASES; i++) {
            String body = mutated(pick(BODIES));
            String contentType = random.nextInt(10) == 0 ? pick(List.of("text/plain", "application/json; charset=latin1", "application/json;;", "")) : "application/json";
            Answer answer = request("POST /api/notifications HTTP/1.1", List.of("Content-Type: " + contentType), body);
            assertThat(answer.describe(body), answer.status(), in(Set.of(202, 400, 413, 415, 429)));
            answer.assertNoLeak(body);
        }
    }

    @Test
    void queryStringsNeverGetA500() throws IOException {
        for (int i = 0; i < CASES; i++) {
            String query = mutated(pick(QUERIES));
            String path = pick(List.of("/ws/notifications", "/sse/notifications"));
            List<String> headers = path.startsWith("/ws") ? upgradeHeaders() : List.of("Accept: text/event-stream");
            Answer answer = request("GET " + path + "?" + query + " HTTP/1.1", headers, null);
            // 400: a request line Netty cannot read (a space or a control character in it) is refused before the service.
            assertThat(answer.describe(query), answer.status(), in(Set.of(101, 200, 400, 401, 403, 429, 503)));
            answer.assertNoLeak(query);
        }
    }

    @Test
    void credentialAndOriginHeadersNeverGetA500() throws IOException {
        String token = TestTokens.token("alice");
        List<String> samples = List.of("Authorization: Bearer " + token, "Authorization: Bearer not-a-token", "Origin: https://evil.example",
                "Origin: " + baseUri.toString().replaceAll("/$", ""), "Sec-WebSocket-Protocol: notifications, quarkus-http-upgrade#Authorization#Bearer%20" + token,
                "X-API-Key: a-key", "Idempotency-Key: k-1", "Last-Event-ID: 0-1");
        for (int i = 0; i < CASES; i++) {
            List<String> headers = new ArrayList<>();
            String fuzzed = mutated(pick(samples)).replace("\r", "").replace("\n", "");
            headers.add(fuzzed);
            String request = pick(List.of("GET /ws/notifications HTTP/1.1", "GET /sse/notifications HTTP/1.1", "GET /api/inbox/counts HTTP/1.1",
                    "POST /api/notifications HTTP/1.1"));
            if (request.startsWith("GET /ws")) {
                headers.addAll(upgradeHeaders());
            }
            if (request.startsWith("POST")) {
                headers.add("Content-Type: application/json");
            }
            Answer answer = request(request, headers, request.startsWith("POST") ? "{\"message\":\"header fuzz\"}" : null);
            assertThat(answer.describe(fuzzed), answer.status(), in(Set.of(101, 200, 202, 400, 401, 403, 404, 422, 429, 431, 503)));
            answer.assertNoLeak(fuzzed);
        }
    }

    @Test
    void socketFramesNeverCloseASocketWith1011() {
        SocketClient socket = SocketClient.connect(baseUri);
        try {
            for (int i = 0; i < CASES; i++) {
                String frame = mutated(pick(FRAMES));
                if (!socket.isOpen()) {
                    assertThat("closed after " + frame, socket.closeCode().orElse(1000), not(equalTo(1011)));
                    socket = SocketClient.connect(baseUri);
                }
                try {
                    socket.send(frame);
                } catch (RuntimeException closedMeanwhile) {
                    // judged by its close code at the next round
                }
            }
            if (!socket.isOpen()) {
                assertThat(socket.closeCode().orElse(1000), not(equalTo(1011)));
                socket = SocketClient.connect(baseUri);
            }
            Pipeline.awaitReady(socket); // still delivering to it
            assertThat(socket.closeCode().orElse(1000), not(equalTo(1011)));
            for (JsonNode reply : socket.frames()) {
                assertThat(reply.toString(), reply.path("status").asInt(400), not(equalTo(500)));
                assertThat(reply.toString(), reply.toString().contains("Exception"), equalTo(false));
            }
        } finally {
            socket.close();
        }
    }

    @Test
    void kafkaRecordsOfAnyShapeHarmNobody() throws Exception {
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            for (int i = 0; i < CASES; i++) {
                byte[] value = random.nextInt(10) == 0 ? randomBytes() : mutated(pick(BODIES)).getBytes(StandardCharsets.UTF_8);
                String key = random.nextBoolean() ? null : mutated(pick(List.of("user:alice", "channel:news", "orders")));
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
                if (random.nextInt(4) == 0) {
                    record.headers().add(IdempotencyKey.HEADER, randomBytes());
                    record.headers().add(IdempotencyKey.PUBLISHER_HEADER, mutated("anonymous").getBytes(StandardCharsets.UTF_8));
                }
                producer.send(record).get();
            }
        }
    }

    /**
     * Found by seeds 9145369394434, 9228539826772 and 9398486026842: websockets-next turned these subprotocols into
     * headers that Vert.x refuses, answered 500 on every path and logged an error. Now 400, as any header but
     * Authorization sent this way is.
     */
    @ParameterizedTest
    @ValueSource(strings = {"quarkus-http-upgrade#Authori\u2f39ation#Bearer%20x", "quarkus-http-upgrade#Authorizatio\"data\"n#Bearer%20x",
            "quarkus-http-upgrade#Authorization#Bearer%20x%00y", "quarkus-http-upgrade#Authorization#Bearer%20%zz",
            "quarkus-http-upgrade#Authorization", "quarkus-http-upgrade#Origin#https://evil.example",
            "quarkus-http-upgrade#X-Forwarded-For#203.0.113.9"})
    void whatTheSeedsFound(String subprotocol) throws IOException {
        for (String path : List.of("GET /ws/notifications HTTP/1.1", "GET /sse/notifications HTTP/1.1", "GET /api/inbox/counts HTTP/1.1")) {
            List<String> headers = new ArrayList<>(List.of("Sec-WebSocket-Protocol: notifications, " + subprotocol));
            if (path.contains("/ws/")) {
                headers.addAll(upgradeHeaders());
            }
            Answer answer = request(path, headers, null);
            assertThat(answer.describe(subprotocol), answer.status(), equalTo(400));
            assertThat(answer.describe(subprotocol), answer.head().contains("urn:notifications:problem:invalid-subprotocol"), equalTo(true));
        }
    }

    /** A sample with one to four mutations: a fragment inserted, a range deleted or repeated, a character replaced, the end cut. */
    private String mutated(String sample) {
        StringBuilder text = new StringBuilder(sample);
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
            int at = text.isEmpty() ? 0 : random.nextInt(text.length() + 1);
            switch (random.nextInt(5)) {
                case 0 -> text.insert(at, pick(FRAGMENTS));
                case 1 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(8)));
                case 2 -> text.insert(at, text.substring(at, Math.min(text.length(), at + random.nextInt(16))).repeat(1 + random.nextInt(3)));
                case 3 -> {
                    if (at < text.length()) {
                        text.setCharAt(at, (char) random.nextInt(0x3000));
                    }
                }
                default -> text.setLength(at);
            }
        }
        return text.toString();
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(300)];
        random.nextBytes(bytes);
        return bytes;
    }

    private <T> T pick(List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    private static List<String> upgradeHeaders() {
        return List.of("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
    }

    /** What came back: the status (0 for a connection closed without an answer) and what was read of the rest. */
    private record Answer(int status, String head) {

        String describe(String input) {
            return "seed " + SEED + ", input " + quoted(input) + " -> " + head;
        }

        /** No stack trace, no exception class: a problem body says what was wrong, never where in the code. */
        void assertNoLeak(String input) {
            assertThat(describe(input), head.contains("Exception") || head.contains("\tat ") || head.contains("org.acme."), equalTo(false));
        }

        private static String quoted(String input) {
            StringBuilder escaped = new StringBuilder();
            input.codePoints().forEach(c -> escaped.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
            return "\"" + escaped + "\"";
        }
    }

    /**
     * One HTTP/1.1 request on a connection of its own, written byte for byte (UTF-8), the status and the first 4 KB of
     * the answer read, then the connection closed: an upgrade or a stream that opened is dropped at once.
     */
    private Answer request(String requestLine, List<String> headers, String body) throws IOException {
        byte[] content = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(requestLine).append("\r\nHost: ").append(baseUri.getHost()).append(':').append(baseUri.getPort()).append("\r\n");
        headers.forEach(header -> head.append(header).append("\r\n"));
        if (content != null) {
            head.append("Content-Length: ").append(content.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        try (Socket socket = new Socket(baseUri.getHost(), baseUri.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            if (content != null) {
                out.write(content);
            }
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[4096];
            int read = 0;
            // Up to the end of the headers and a little of the body: a stream or a socket would never end.
            while (read < answer.length) {
                int n = in.read(answer, read, answer.length - read);
                if (n < 0) {
                    break;
                }
                read += n;
                String soFar = new String(answer, 0, read, StandardCharsets.ISO_8859_1);
                int endOfHead = soFar.indexOf("\r\n\r\n");
                if (endOfHead >= 0 && (soFar.startsWith("HTTP/1.1 101") || soFar.contains("text/event-stream") || read >= endOfHead + 4 + contentLength(soFar))) {
                    break;
                }
            }
            String text = new String(answer, 0, read, StandardCharsets.ISO_8859_1);
            return new Answer(text.startsWith("HTTP/1.") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : 0, text);
        }
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).strip());
            }
        }
        return Integer.MAX_VALUE / 2; // chunked or unknown: read until the connection ends or 4 KB
    }
}
