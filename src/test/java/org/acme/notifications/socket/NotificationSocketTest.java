package org.acme.notifications.socket;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;

/**
 * The socket as a publisher: a frame sent on one socket reaches the others through Kafka; bad frames get
 * error frames and the socket stays open; a binary frame closes that socket with 1003 while another keeps working.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class NotificationSocketTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void messageSentOnOneSocketReachesTheOthers() {
        try (SocketClient sender = SocketClient.connect(baseUri); SocketClient other = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(other);
            String message = "from a socket " + UUID.randomUUID();

            sender.send("{\"message\":\"" + message + "\",\"level\":\"warning\",\"link\":\"https://example.com/a\",\"data\":{\"n\":1}}");

            JsonNode received = other.awaitNotification(message);
            assertThat(received.get("id").asText(), matchesPattern("\\d+-\\d+"));
            assertThat(received.get("level").asText(), equalTo("warning"));
            assertThat(received.get("link").asText(), equalTo("https://example.com/a"));
            assertThat(received.get("data").get("n").asInt(), equalTo(1));
            // The sender is a subscriber like any other, and gets the same record.
            assertThat(sender.awaitNotification(message).get("id"), equalTo(received.get("id")));
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"message\": `|invalid-json",
            "`hello`|invalid-json",
            "`{\"message\": 42}`|invalid-message",
            "`{\"message\": \" \"}`|invalid-message",
            "`{\"text\": \"wrong field\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"javascript:alert(1)\"}`|invalid-message",
            "`{\"message\": \"a\", \"data\": [1]}`|invalid-message",
    })
    void invalidFrameGetsAnErrorFrameAndTheSocketStaysUsable(String frame, String code) {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(client);

            client.send(frame);

            JsonNode error = client.awaitFrame("an error frame", f -> f.path("type").asText().equals("error"));
            assertThat(error.get("code").asText(), equalTo(code));
            assertThat(error.get("status").asInt(), equalTo(400));
            assertThat(error.has("message"), is(false));

            String message = "after a bad frame " + UUID.randomUUID();
            client.send(Json.object("message", message));
            client.awaitNotification(message);
            assertThat(client.isOpen(), is(true));
        }
    }

    @Test
    void oversizedMessageGetsA413ErrorFrame() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            client.send(Json.object("message", "x".repeat(4097)));

            JsonNode error = client.awaitFrame("an error frame", f -> f.path("type").asText().equals("error"));
            assertThat(error.get("code").asText(), equalTo("message-too-large"));
            assertThat(error.get("status").asInt(), equalTo(413));
        }
    }

    /**
     * Frames a client sends the moment the upgrade completes are handled after the socket's open, one at a time, in
     * the order sent: the endpoint relies on it (NotificationSocket, CONCURRENT processing). So are their answers,
     * an error among them.
     */
    @Test
    void framesSentRightAfterTheUpgradeAreHandledInOrder() {
        try (SocketClient client = SocketClient.connect(baseUri)) {
            client.send(Json.object("type", "subscribe", "channel", "lobby-1"));
            client.send("hello");
            client.send(Json.object("type", "unsubscribe", "channel", "lobby-1"));
            client.send(Json.object("type", "subscribe", "channel", "lobby-2"));

            List<String> answers = await("four answers").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> client.frames().stream()
                    .filter(frame -> frame.has("type"))
                    .map(frame -> frame.get("type").asText() + " " + frame.path("channel").asText(frame.path("code").asText()))
                    .toList(), frames -> frames.size() >= 4);
            assertThat(answers, contains("subscribed lobby-1", "error invalid-json", "unsubscribed lobby-1", "subscribed lobby-2"));
            assertThat(client.isOpen(), is(true));
        }
    }

    /** The socket speaks JSON text; a binary frame closes it with 1003 (unsupported data). Others are unaffected. */
    @Test
    void binaryFrameClosesTheSocketWith1003() {
        try (SocketClient bystander = SocketClient.connect(baseUri);
             SocketClient client = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(bystander);

            client.sendBinary(new byte[] {0, 1, 2, (byte) 0xFF});

            await("the socket closed").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> client.closeCode().isPresent());
            assertThat(client.closeCode().orElseThrow(), equalTo(1003));
            String message = "after a binary frame " + UUID.randomUUID();
            bystander.send(Json.object("message", message));
            bystander.awaitNotification(message);
        }
    }
}
