package org.acme.notifications.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.InjectKafkaBroker;
import org.acme.notifications.kafka.KafkaBroker;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/**
 * Who receives what, over real sockets and a real broker: a notification for a user reaches every socket of that
 * user and nobody else, one for a channel its subscribers only (at connect or by frame, until they unsubscribe),
 * one for both that user's sockets in that channel; records from any Kafka producer follow the same rules; a
 * resume replays only what the socket may see; the metrics count by target kind. Each negative check waits for a later broadcast first, so that a
 * notification that would have come has had its chance.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TargetingTest {

    @TestHTTPResource("/")
    URI baseUri;

    @InjectKafkaBroker
    KafkaBroker broker;

    @Test
    void aUsersNotificationReachesEverySocketOfThatUserAndNobodyElse() {
        String alice = "alice-" + UUID.randomUUID();
        try (SocketClient laptop = SocketClient.connectWithToken(baseUri, TestTokens.token(alice), "");
             SocketClient phone = SocketClient.connectWithTokenAsSubprotocol(baseUri, TestTokens.token(alice), "");
             SocketClient bob = SocketClient.connectWithToken(baseUri, TestTokens.token("bob-" + UUID.randomUUID()), "");
             SocketClient anonymous = SocketClient.connect(baseUri)) {
            for (SocketClient client : List.of(laptop, phone, bob, anonymous)) {
                Pipeline.awaitReady(client); // each has joined
            }
            double routedToUsers = Metrics.value(baseUri, "notifications_routed_total{target=\"user\"}");
            double handedToUsers = Metrics.value(baseUri, "notifications_recipients_total{target=\"user\"}");

            Pipeline.publishJson(Json.object("message", "for alice", "user", alice));
            String marker = broadcastAndAwait(laptop, phone, bob, anonymous);

            assertThat(laptop.awaitNotification("for alice").path("user").asText(), equalTo(alice));
            phone.awaitNotification("for alice");
            assertThat(bob.messages(), not(hasItem("for alice")));
            assertThat(anonymous.messages(), not(hasItem("for alice")));
            assertThat(laptop.messages().indexOf("for alice") < laptop.messages().indexOf(marker), equalTo(true));
            // One notification for a user, handed to that user's two sockets: counted by target kind.
            assertThat(Metrics.value(baseUri, "notifications_routed_total{target=\"user\"}") - routedToUsers, equalTo(1.0));
            assertThat(Metrics.value(baseUri, "notifications_recipients_total{target=\"user\"}") - handedToUsers, equalTo(2.0));
        }
    }

    @Test
    void aChannelsNotificationReachesItsSubscribersUntilTheyLeave() {
        try (SocketClient atConnect = SocketClient.connectWithToken(baseUri, null, "?channels=news,lobby-1");
             SocketClient byFrame = SocketClient.connect(baseUri);
             SocketClient outside = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(outside);
            assertThat(atConnect.awaitFrame("subscribed to news", f -> isAnswer(f, "subscribed", "news")).has("after"), equalTo(false));
            byFrame.send(Json.object("type", "subscribe", "channel", "news"));
            byFrame.awaitFrame("subscribed to news", f -> isAnswer(f, "subscribed", "news"));

            Pipeline.publishJson(Json.object("message", "news 1", "channel", "news"));
            String marker = broadcastAndAwait(atConnect, byFrame, outside);
            atConnect.awaitNotification("news 1");
            assertThat(byFrame.awaitNotification("news 1").path("channel").asText(), equalTo("news"));
            assertThat(outside.messages(), not(hasItem("news 1")));

            byFrame.send(Json.object("type", "unsubscribe", "channel", "news"));
            JsonNode left = byFrame.awaitFrame("unsubscribed from news", f -> isAnswer(f, "unsubscribed", "news"));
            // Nothing was published since the marker: the channel ends right after it.
            assertThat(left.path("after").asText(), equalTo(byFrame.notification(marker).orElseThrow().path("id").asText()));
            Pipeline.publishJson(Json.object("message", "news 2", "channel", "news"));
            broadcastAndAwait(atConnect, byFrame);
            atConnect.awaitNotification("news 2");
            assertThat(byFrame.messages(), not(hasItem("news 2")));
        }
    }

    @Test
    void aNotificationForAUserInAChannelReachesOnlyThatUsersSocketsInIt() {
        String carol = "carol-" + UUID.randomUUID();
        try (SocketClient inChannel = SocketClient.connectWithToken(baseUri, TestTokens.token(carol), "?channels=lobby-2");
             SocketClient notInChannel = SocketClient.connectWithToken(baseUri, TestTokens.token(carol), "");
             SocketClient someoneElseInChannel = SocketClient.connectWithToken(baseUri, null, "?channels=lobby-2")) {
            Pipeline.awaitReady(someoneElseInChannel);

            Pipeline.publishJson(Json.object("message", "carol in lobby", "user", carol, "channel", "lobby-2"));
            broadcastAndAwait(inChannel, notInChannel, someoneElseInChannel);

            inChannel.awaitNotification("carol in lobby");
            assertThat(notInChannel.messages(), not(hasItem("carol in lobby")));
            assertThat(someoneElseInChannel.messages(), not(hasItem("carol in lobby")));
        }
    }

    @Test
    void recordsFromAnyKafkaProducerFollowTheSameRules() throws Exception {
        String dave = "dave-" + UUID.randomUUID();
        try (SocketClient daves = SocketClient.connectWithToken(baseUri, TestTokens.token(dave), "");
             SocketClient other = SocketClient.connect(baseUri);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
            Pipeline.awaitReady(other);

            String json = Json.object("message", "from kafka for dave", "user", dave);
            producer.send(new ProducerRecord<>("notifications", "user:" + dave, json.getBytes(StandardCharsets.UTF_8))).get();
            broadcastAndAwait(daves, other);

            daves.awaitNotification("from kafka for dave");
            assertThat(other.messages(), not(hasItem("from kafka for dave")));
        }
    }

    @Test
    void aResumeReplaysOnlyWhatTheSocketMaySee() {
        String erin = "erin-" + UUID.randomUUID();
        String since;
        try (SocketClient first = SocketClient.connectWithToken(baseUri, TestTokens.token(erin), "?channels=lobby-3")) {
            Pipeline.awaitReady(first);
            since = first.frames().stream().filter(f -> f.has("id")).reduce((a, b) -> b).orElseThrow().path("id").asText();
        }
        Pipeline.publishJson(Json.object("message", "missed: for erin", "user", erin));
        Pipeline.publishJson(Json.object("message", "missed: for someone else", "user", "frank"));
        Pipeline.publishJson(Json.object("message", "missed: lobby-3", "channel", "lobby-3"));
        Pipeline.publishJson(Json.object("message", "missed: lobby-4", "channel", "lobby-4"));
        Pipeline.publishJson(Json.object("message", "missed: everyone"));

        try (SocketClient again = SocketClient.connectWithToken(baseUri, TestTokens.token(erin), "?channels=lobby-3&since=" + since)) {
            again.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));

            List<String> replayed = again.messages().stream().filter(m -> m.startsWith("missed: ")).toList();
            assertThat(replayed, contains("missed: for erin", "missed: lobby-3", "missed: everyone"));
        }
        try (SocketClient anonymous = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
            anonymous.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
            assertThat(anonymous.messages().stream().filter(m -> m.startsWith("missed: ")).toList(), contains("missed: everyone"));
        }
    }

    @Test
    void everyRefusedSubscriptionIsAnsweredWithACode() {
        String grace = "grace-" + UUID.randomUUID();
        try (SocketClient anonymous = SocketClient.connectWithToken(baseUri, null, "?channels=team-a,Bad%20Name,news");
             SocketClient signedIn = SocketClient.connectWithToken(baseUri, TestTokens.token(grace), "?channels=team-a");
             SocketClient operator = SocketClient.connectWithToken(baseUri, TestTokens.token("ops-" + UUID.randomUUID(), "ops"), "")) {
            assertThat(refusal(anonymous, "team-a"), equalTo("forbidden-channel"));
            assertThat(refusal(anonymous, "Bad Name"), equalTo("invalid-channel"));
            anonymous.awaitFrame("subscribed to news", f -> isAnswer(f, "subscribed", "news"));
            signedIn.awaitFrame("subscribed to team-a", f -> isAnswer(f, "subscribed", "team-a"));

            signedIn.send(Json.object("type", "subscribe", "channel", "ops"));
            assertThat(refusal(signedIn, "ops"), equalTo("forbidden-channel"));
            operator.send(Json.object("type", "subscribe", "channel", "incident-7"));
            operator.awaitFrame("subscribed to incident-7", f -> isAnswer(f, "subscribed", "incident-7"));
            operator.send(Json.object("type", "subscribe", "channel", "unlisted"));
            assertThat(refusal(operator, "unlisted"), equalTo("forbidden-channel"));

            signedIn.send(Json.object("type", "subscribe", "user", "someone-else"));
            signedIn.awaitFrame("forbidden-user", f -> f.path("code").asText().equals("forbidden-user"));
            signedIn.send(Json.object("type", "watch", "channel", "news"));
            signedIn.awaitFrame("unknown-type", f -> f.path("code").asText().equals("unknown-type"));
            assertThat(signedIn.isOpen(), equalTo(true));
        }
    }

    /**
     * Refusals at connect are folded: 300 channels refused for one reason (asked twice, some of them) are one error
     * frame that lists each once, not 300 frames; a second reason is a second frame; what is allowed is answered as usual.
     */
    @Test
    void refusalsAtConnectAreFoldedIntoOneFramePerReason() {
        List<String> forbidden = IntStream.range(0, 300).mapToObj(i -> "team-" + i).toList();
        String query = "?channels=" + String.join(",", forbidden) + ",team-0,team-1,Bad%20Name,news";
        try (SocketClient anonymous = SocketClient.connectWithToken(baseUri, null, query)) {
            anonymous.awaitFrame("subscribed to news", f -> isAnswer(f, "subscribed", "news"));
            String marker = broadcastAndAwait(anonymous);

            List<JsonNode> errors = anonymous.frames().stream().filter(f -> f.path("type").asText().equals("error")).toList();
            assertThat(errors.stream().map(f -> f.path("code").asText()).toList(), contains("forbidden-channel", "invalid-channel"));
            List<String> listed = new java.util.ArrayList<>();
            errors.get(0).path("channels").forEach(channel -> listed.add(channel.asText()));
            assertThat(listed, equalTo(forbidden));
            assertThat(errors.get(1).path("channel").asText(), equalTo("Bad Name"));
            assertThat(anonymous.messages(), hasItem(marker));
        }
    }

    @Test
    void aSocketReadsAtMostItsLimitOfChannels() {
        String channels = String.join(",", IntStream.rangeClosed(0, 100).mapToObj(i -> "lobby-" + i).toList());
        try (SocketClient client = SocketClient.connectWithToken(baseUri, null, "?channels=" + channels)) {
            assertThat(refusal(client, "lobby-100"), equalTo("too-many-channels"));
            client.send(Json.object("type", "unsubscribe", "channel", "lobby-0"));
            client.awaitFrame("unsubscribed from lobby-0", f -> isAnswer(f, "unsubscribed", "lobby-0"));
            client.send(Json.object("type", "subscribe", "channel", "lobby-100"));
            client.awaitFrame("subscribed to lobby-100", f -> isAnswer(f, "subscribed", "lobby-100"));
        }
    }

    @Test
    void aBadTargetIsRefusedLikeOtherBadInput() {
        given().contentType(ContentType.JSON).body(Json.object("message", "x", "channel", "no spaces"))
                .post("/api/notifications").then().statusCode(400).body("type", equalTo("urn:notifications:problem:invalid-target"));
        given().contentType(ContentType.JSON).body("{\"message\":\"x\",\"user\":42}")
                .post("/api/notifications").then().statusCode(400).body("type", equalTo("urn:notifications:problem:invalid-target"));
        try (SocketClient client = SocketClient.connect(baseUri)) {
            client.send(Json.object("message", "x", "channel", ""));
            client.awaitFrame("invalid-target", f -> f.path("code").asText().equals("invalid-target"));
            assertThat(client.messages(), empty());
        }
    }

    private static boolean isAnswer(JsonNode frame, String type, String channel) {
        return frame.path("type").asText().equals(type) && frame.path("channel").asText().equals(channel);
    }

    private static String refusal(SocketClient client, String channel) {
        return client.awaitFrame("a refusal of " + channel,
                f -> f.path("type").asText().equals("error") && f.path("channel").asText().equals(channel)).path("code").asText();
    }

    /** A broadcast published after what a test checks: once every client has it, anything earlier has arrived too. */
    private static String broadcastAndAwait(SocketClient... clients) {
        String marker = "marker " + UUID.randomUUID();
        Pipeline.publishJson(Json.object("message", marker));
        for (SocketClient client : clients) {
            client.awaitNotification(marker);
        }
        return marker;
    }
}
