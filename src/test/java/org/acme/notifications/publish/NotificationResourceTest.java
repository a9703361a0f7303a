package org.acme.notifications.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.matchesPattern;

/**
 * The REST trigger: a POST reaches two sockets with id, message and timestamp; two records get distinct ids; every
 * bad body gets its exact status and problem body: invalid JSON, wrong types, 5000-deep nesting and invalid UTF-8
 * get 400; a 10 MB body gets 413 {@code body-too-large} before it is read, and the service answers the next
 * request; emoji, right-to-left overrides, zero-width and combining characters, BOM, NUL and other controls,
 * noncharacters, line separators and markup are accepted and delivered exactly as sent; lone surrogates get 400.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class NotificationResourceTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void postReachesEverySocketThroughKafka() {
        try (SocketClient alice = SocketClient.connect(baseUri); SocketClient bob = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(alice);
            String message = "Deploy finished " + UUID.randomUUID();

            Response accepted = given().contentType(ContentType.JSON)
                    .body(Json.object("message", message, "title", "CI", "level", "success"))
                    .post("/api/notifications");

            accepted.then().statusCode(202).contentType(ContentType.JSON)
                    .body("message", equalTo(message))
                    .body("id", not(emptyOrNullString()));
            String id = accepted.jsonPath().getString("id");
            String timestamp = accepted.jsonPath().getString("timestamp");

            for (SocketClient client : new SocketClient[] {alice, bob}) {
                JsonNode frame = client.awaitNotification(message);
                assertThat(frame.get("id").asText(), equalTo(id));
                assertThat(frame.get("title").asText(), equalTo("CI"));
                assertThat(frame.get("level").asText(), equalTo("success"));
                assertThat(frame.get("timestamp").asText(), equalTo(timestamp));
                assertThat(Instant.parse(timestamp), lessThan(Instant.now().plusSeconds(1)));
            }
        }
    }

    /** A link and data come back in the 202, reach the socket, and are replayed to one that resumes. */
    @Test
    void aLinkAndDataAreCarriedLiveAndInTheReplay() {
        try (SocketClient live = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(live);
            String before = "before " + UUID.randomUUID();
            publish(before);
            String since = live.awaitNotification(before).get("id").asText();
            String message = "Your export is ready " + UUID.randomUUID();
            String body = "{\"message\":\"" + message + "\",\"link\":\"/exports/42\",\"data\":{\"export\":42}}";

            given().contentType(ContentType.JSON).body(body).post("/api/notifications")
                    .then().statusCode(202).body("link", equalTo("/exports/42")).body("data.export", equalTo(42));

            JsonNode frame = live.awaitNotification(message);
            assertThat(frame.get("link").asText(), equalTo("/exports/42"));
            assertThat(frame.get("data").get("export").asInt(), equalTo(42));
            try (SocketClient resumed = SocketClient.connectWithJdkClient(baseUri, null, since)) {
                JsonNode replayed = resumed.awaitNotification(message);
                assertThat(replayed.get("link").asText(), equalTo("/exports/42"));
                assertThat(replayed.get("data").get("export").asInt(), equalTo(42));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"javascript:alert(document.cookie)", "data:text/html;base64,PHNjcmlwdD4=", "//evil.example/login", "exports/42"})
    void anUnsafeLinkIs400(String link) {
        given().contentType(ContentType.JSON).body(Json.object("message", "hi", "link", link))
                .post("/api/notifications")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:invalid-message"))
                .body("detail", containsString("'link'"));
    }

    @Test
    void dataOver4KiBIs400() {
        String body = "{\"message\":\"hi\",\"data\":{\"x\":\"" + "d".repeat(4090) + "\"}}";
        given().contentType(ContentType.JSON).body(body)
                .post("/api/notifications")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:invalid-message"))
                .body("detail", containsString("'data' is 4098 bytes"));
    }

    @Test
    void twoNotificationsGetDistinctIds() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String first = "first " + UUID.randomUUID();
            String second = "second " + UUID.randomUUID();
            publish(first);
            publish(second);

            String firstId = client.awaitNotification(first).get("id").asText();
            String secondId = client.awaitNotification(second).get("id").asText();
            assertThat(firstId, matchesPattern("\\d+-\\d+"));
            assertThat(secondId, matchesPattern("\\d+-\\d+"));
            assertThat(firstId, not(equalTo(secondId)));
        }
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"message\": \"unterminated`|400|invalid-json",
            "`not json at all`|400|invalid-json",
            "``|400|invalid-json",
            "`{\"message\": \"x\"} trailing`|400|invalid-json",
            "`[\"message\"]`|400|invalid-message",
            "`\"just a string\"`|400|invalid-message",
            "`{}`|400|invalid-message",
            "`{\"message\": null}`|400|invalid-message",
            "`{\"message\": \"\"}`|400|invalid-message",
            "`{\"message\": \"   \"}`|400|invalid-message",
            "`{\"message\": 42}`|400|invalid-message",
            "`{\"message\": {\"text\": \"nested\"}}`|400|invalid-message",
            "`{\"message\": \"ok\", \"level\": \"loud\"}`|400|invalid-message",
            "`{\"message\": \"ok\", \"title\": 7}`|400|invalid-message",
            "`{\"message\": \"\\ud800 lone surrogate\"}`|400|invalid-message",
    })
    void badBodiesGetAProblem(String body, int status, String code) {
        given().contentType(ContentType.JSON).body(body == null ? "" : body)
                .post("/api/notifications")
                .then().statusCode(status)
                .contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("type", equalTo("urn:notifications:problem:" + code))
                .body("title", not(emptyOrNullString()))
                .body("detail", not(emptyOrNullString()));
    }

    @Test
    void messageOverTheLimitIs413() {
        String message = "é".repeat(2049); // 4098 bytes of UTF-8, over the 4096 limit
        given().contentType(ContentType.JSON).body(Json.object("message", message))
                .post("/api/notifications")
                .then().statusCode(413)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:message-too-large"))
                .body("detail", endsWith("the limit is 4096"));
    }

    @Test
    void messageAtTheLimitIsAccepted() {
        given().contentType(ContentType.JSON).body(Json.object("message", "a".repeat(4096)))
                .post("/api/notifications")
                .then().statusCode(202);
    }

    @Test
    void otherMediaTypesAre415() {
        given().contentType(ContentType.TEXT).body("hello")
                .post("/api/notifications")
                .then().statusCode(415)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:unsupported-media-type"));
    }

    @Test
    void deeplyNestedJsonIs400() {
        String nested = "[".repeat(5000) + "]".repeat(5000);
        given().contentType(ContentType.JSON).body("{\"message\":\"x\",\"extra\":" + nested + "}")
                .post("/api/notifications")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:invalid-json"));
    }

    @Test
    void invalidUtf8BodyIs400() {
        byte[] body = {'{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        given().contentType(ContentType.JSON).body(body)
                .post("/api/notifications")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:invalid-json"));
    }

    /**
     * A body announced far over quarkus.http.limits.max-body-size (10 MB) is refused before it is read,
     * with a problem body. A raw socket sends only the request head, as a client waiting for
     * "100 Continue" does, and reads the answer.
     */
    @Test
    void tenMegabyteBodyIs413WithAProblem() throws Exception {
        String answer;
        try (Socket socket = new Socket(baseUri.getHost(), baseUri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/notifications HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + 10 * 1024 * 1024 + "\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            answer = readProblemAnswer(socket);
        }

        assertThat(answer, startsWith("HTTP/1.1 413"));
        assertThat(answer, containsString("application/problem+json"));
        assertThat(answer, containsString("\"type\":\"urn:notifications:problem:body-too-large\""));
        publish("still up after a 10 MB body");
    }

    /** Every kind of text a person or a program may send arrives exactly as sent. */
    @ParameterizedTest
    @ValueSource(strings = {
            "emoji 🎉 and astral 𝄞 (surrogate pairs)",
            "right-to-left override \u202E and Arabic مرحبا",
            "zero width \u200B space and \u200D joiner, word\u2060joiner",
            "combining e\u0301 and stacked a\u0300\u0301\u0302\u0303",
            "byte order mark \uFEFF inside",
            "NUL \u0000, bell \u0007 and escape \u001B",
            "noncharacters \uFFFE \uFFFF and private use \uE000",
            "line \u2028 and paragraph \u2029 separators, CR \r LF \n tab \t",
            "CJK 通知, Devanagari सूचना, Thai การแจ้งเตือน",
            "<script>alert(1)</script> & \"quotes\" \\ backslash",
    })
    void oddUnicodeIsAcceptedAndDeliveredExactly(String message) {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);
            String sent = message + " " + UUID.randomUUID();
            given().contentType(ContentType.JSON).body(Map.of("message", sent))
                    .post("/api/notifications")
                    .then().statusCode(202).body("message", equalTo(sent));
            assertThat(client.awaitNotification(sent).get("message").asText(), equalTo(sent));
        }
    }

    /** Reads an HTTP answer whose body is one JSON object, without waiting for the connection to close. */
    private static String readProblemAnswer(Socket socket) throws IOException {
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!answer.toString().endsWith("}")) {
            int read = socket.getInputStream().read(buffer);
            if (read < 0) {
                break;
            }
            answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
        }
        return answer.toString();
    }

    private static void publish(String message) {
        given().contentType(ContentType.JSON).body(Json.object("message", message))
                .post("/api/notifications")
                .then().statusCode(202);
    }
}
