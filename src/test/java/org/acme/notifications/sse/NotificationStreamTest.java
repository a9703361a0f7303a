package org.acme.notifications.sse;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.EventStreamClient.Event;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasItem;

/**
 * {@code GET /sse/notifications} end to end, over a real broker and real HTTP, read by a program's SSE client: live
 * delivery with a position as each event's id, resume from {@code Last-Event-ID}, a user's stream carrying only
 * what is theirs, the end at the token's expiry, refusals with problem bodies, and HTTP/2 without TLS.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class NotificationStreamTest {

    @TestHTTPResource("/")
    URI baseUri;

    @BeforeEach
    void pipelineDelivers() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
        }
    }

    @Test
    void eachNotificationIsAnEventWhoseIdIsThePositionOfTheStream() {
        try (EventStreamClient stream = joined(EventStreamClient.open(baseUri, "", Map.of()))) {
            String message = "over SSE " + UUID.randomUUID();
            Pipeline.publishJson(Json.object("message", message, "title", "Deploy", "link", "/deploys/1"));

            JsonNode notification = stream.awaitNotification(message);
            Event event = stream.events().stream().filter(e -> e.data().contains(message)).findFirst().orElseThrow();
            assertThat(event.name(), equalTo("message"));
            assertThat("one partition: the position is the notification's id", event.id(), equalTo(notification.path("id").asText()));
            assertThat(notification.path("title").asText(), equalTo("Deploy"));
            assertThat(notification.path("link").asText(), equalTo("/deploys/1"));
            assertThat(stream.retry(), allOf(greaterThanOrEqualTo(1000), lessThan(5000)));
        }
    }

    @Test
    void lastEventIdResumesExactlyAfterItAndWinsOverSince() {
        String run = UUID.randomUUID().toString();
        String lastEventId;
        String olderId;
        try (EventStreamClient first = joined(EventStreamClient.open(baseUri, "", Map.of()))) {
            Pipeline.publish("seen 1 " + run);
            olderId = first.awaitNotification("seen 1 " + run).path("id").asText();
            Pipeline.publish("seen 2 " + run);
            first.awaitNotification("seen 2 " + run);
            lastEventId = first.lastEventId();
        }
        List<String> missed = List.of("missed 1 " + run, "missed 2 " + run, "missed 3 " + run);
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            missed.forEach(Pipeline::publish);
            watcher.awaitNotification(missed.get(2));
        }

        try (EventStreamClient resumed = EventStreamClient.open(baseUri, "?since=" + olderId, Map.of("Last-Event-ID", lastEventId))) {
            Event end = resumed.awaitEvent("the end of the replay", event -> event.name().equals("resumed"));
            assertThat(end.json().path("since").asText(), equalTo(lastEventId));
            assertThat(end.json().path("replayed").asInt(), equalTo(3));
            assertThat(resumed.messages(), equalTo(missed));
            assertThat("the resumed event says where the stream is", end.id(), equalTo(resumed.notification(missed.get(2))
                    .orElseThrow().path("id").asText()));
        }
    }

    @Test
    void anIdThatIsNoPositionIsAnsweredUnknownIdAndForgotten() {
        try (EventStreamClient stream = EventStreamClient.open(baseUri, "", Map.of("Last-Event-ID", "not-an-id"))) {
            Event unknown = stream.awaitEvent("unknown-id", event -> event.name().equals("unknown-id"));
            assertThat(unknown.json().path("since").asText(), equalTo("not-an-id"));
            assertThat("an empty id: the browser forgets the position", unknown.id(), equalTo(""));
        }
    }

    @Test
    void aUsersStreamCarriesWhatIsTheirsAndBroadcastsNeverAnotherUsersLiveOrReplayed() {
        String run = UUID.randomUUID().toString();
        String alice = "alice-" + run;
        String bob = "bob-" + run;
        String firstId;
        try (EventStreamClient alices = joined(EventStreamClient.open(baseUri, "?access_token=" + TestTokens.token(alice), Map.of()));
             EventStreamClient bobs = joined(EventStreamClient.open(baseUri, "", Map.of("Authorization", "Bearer " + TestTokens.token(bob))))) {
            Pipeline.publishJson(Json.object("message", "for bob " + run, "user", bob));
            Pipeline.publishJson(Json.object("message", "for alice " + run, "user", alice));
            Pipeline.publish("for everyone " + run);

            bobs.awaitNotification("for everyone " + run);
            alices.awaitNotification("for everyone " + run);
            assertThat(ofRun(alices.messages(), run), equalTo(List.of("for alice " + run, "for everyone " + run)));
            assertThat(ofRun(bobs.messages(), run), equalTo(List.of("for bob " + run, "for everyone " + run)));
            firstId = alices.notification("for alice " + run).orElseThrow().path("id").asText();
        }
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.publishJson(Json.object("message", "for bob again " + run, "user", bob));
            Pipeline.publish("for everyone again " + run);
            watcher.awaitNotification("for everyone again " + run); // in the history before the stream resumes
        }

        String since = String.valueOf(Integer.parseInt(firstId.split("-")[0])) + "-" + (Long.parseLong(firstId.split("-")[1]) - 1);
        try (EventStreamClient replayed = EventStreamClient.open(baseUri, "?since=" + since + "&access_token=" + TestTokens.token(alice), Map.of())) {
            replayed.awaitEvent("the end of the replay", event -> event.name().equals("resumed"));
            assertThat(ofRun(replayed.messages(), run), equalTo(List.of("for alice " + run, "for everyone " + run, "for everyone again " + run)));
        }
    }

    @Test
    void theStreamEndsAtTheTokensExpiryWithAnEventThatSaysWhy() {
        Instant expiresAt = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.SECONDS);
        String shortLived = TestTokens.sign(TestTokens.claims("judy").expiresAt(expiresAt));
        try (EventStreamClient stream = EventStreamClient.open(baseUri, "", Map.of("Authorization", "Bearer " + shortLived))) {
            assertThat(stream.status(), equalTo(200));

            await().atMost(Duration.ofSeconds(15)).until(stream::ended);

            Event close = stream.events().get(stream.events().size() - 1);
            assertThat(close.name(), equalTo("close"));
            assertThat(close.json().path("code").asInt(), equalTo(CloseCode.TOKEN_EXPIRED.code()));
            assertThat(Instant.now().isBefore(expiresAt), equalTo(false));
        }
    }

    @Test
    void refusalsAreProblemBodies() {
        EventStreamClient badToken = EventStreamClient.open(baseUri, "?access_token=not-a-token", Map.of());
        assertThat(badToken.status(), equalTo(401));
        assertThat(badToken.problem().path("type").asText(), equalTo("urn:notifications:problem:unauthorized"));

        EventStreamClient otherUser = EventStreamClient.open(baseUri, "?user=mallory", Map.of("Authorization", "Bearer " + TestTokens.token("ivan")));
        assertThat(otherUser.status(), equalTo(403));
        assertThat(otherUser.problem().path("type").asText(), equalTo("urn:notifications:problem:forbidden-user"));

        EventStreamClient otherSite = EventStreamClient.open(baseUri, "", Map.of("Origin", "https://evil.example"));
        assertThat(otherSite.status(), equalTo(403));
        assertThat(otherSite.problem().path("type").asText(), equalTo("urn:notifications:problem:forbidden-origin"));

        EventStreamClient forbiddenChannel = joined(EventStreamClient.open(baseUri, "?channels=secret", Map.of()));
        Event refused = forbiddenChannel.awaitEvent("the refusal", event -> event.name().equals("refused"));
        assertThat(refused.json().path("code").asText(), equalTo("forbidden-channel"));
        forbiddenChannel.close();
    }

    @Test
    void overHttp2WithoutTls() {
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        try (EventStreamClient stream = joined(EventStreamClient.open(http2, baseUri, "?channels=news", Map.of()))) {
            assertThat(stream.version(), equalTo(HttpClient.Version.HTTP_2));
            String message = "over h2c " + UUID.randomUUID();
            Pipeline.publishJson(Json.object("message", message, "channel", "news"));
            stream.awaitNotification(message);
            assertThat(stream.events().stream().map(Event::name).toList(), hasItem("subscribed"));
            assertThat(stream.events().stream().map(Event::name).toList(), not(hasItem("refused")));
        }
    }

    private static List<String> ofRun(List<String> messages, String run) {
        return messages.stream().filter(message -> message.contains(run)).toList();
    }

    /** Open and joined: the stream's first bytes are written once it joined routing. */
    static EventStreamClient joined(EventStreamClient stream) {
        assertThat(stream.status(), equalTo(200));
        await("the stream's first bytes").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> stream.retry() > 0);
        return stream;
    }
}
