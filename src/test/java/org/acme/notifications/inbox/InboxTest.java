package org.acme.notifications.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The inbox end to end, on a real broker and a real PostgreSQL: what is addressed to a user is stored from every entry
 * point and listed newest first, paged without gaps, marked, counted; nobody reads or changes what is not theirs.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InboxTest {

    private static final Duration STORED = Duration.ofSeconds(30);

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void keepsWhatIsAddressedToAUserFromEveryEntryPointAndNothingElse() throws Exception {
        String user = user();
        String token = TestTokens.token(user);
        String tag = UUID.randomUUID().toString();
        Pipeline.publishJson(Json.object("message", "rest " + tag, "user", user, "title", "Export", "level", "success",
                "link", "/exports/42").replace("}", ",\"data\":{\"size\":3,\"ok\":true}}"));
        Pipeline.publishJson(Json.object("message", "broadcast " + tag));
        Pipeline.publishJson(Json.object("message", "channel " + tag, "channel", "news"));
        Pipeline.publishJson(Json.object("message", "someone else " + tag, "user", user()));
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            producer.send(new ProducerRecord<>("notifications",
                    Json.object("message", "kafka " + tag, "user", user).getBytes(StandardCharsets.UTF_8))).get();
        }
        try (SocketClient socket = SocketClient.connectWithToken(baseUri, token, "?channels=news")) {
            Pipeline.awaitReady(socket);
            socket.send(Json.object("message", "socket " + tag, "user", user, "channel", "news"));
            socket.awaitNotification("socket " + tag);
        }

        JsonNode page = awaitInbox(token, 3);

        assertThat(messages(page), contains("socket " + tag, "kafka " + tag, "rest " + tag));
        assertThat(page.get("unread").asLong(), is(3L));
        assertThat(page.get("unseen").asLong(), is(3L));
        assertThat(page.get("next").isNull(), is(true));
        JsonNode rest = page.get("items").get(2);
        assertThat(rest.get("title").asText(), equalTo("Export"));
        assertThat(rest.get("level").asText(), equalTo("success"));
        assertThat(rest.get("link").asText(), equalTo("/exports/42"));
        assertThat(rest.get("data").toString(), equalTo("{\"size\":3,\"ok\":true}"));
        assertThat(rest.get("user").asText(), equalTo(user));
        assertThat(rest.get("id").asText().matches("\\d+-\\d+"), is(true));
        assertThat(Instant.parse(rest.get("timestamp").asText()), notNullValue());
        assertThat(rest.has("seenAt") && rest.get("seenAt").isNull(), is(true));
        assertThat(rest.has("readAt") && rest.get("readAt").isNull(), is(true));
        assertThat(rest.has("archivedAt") && rest.get("archivedAt").isNull(), is(true));
        assertThat(page.get("items").get(0).get("channel").asText(), equalTo("news"));
    }

    @Test
    void pagesNewestFirstWithoutGapsOrRepeatsWhileNewOnesArrive() {
        String user = user();
        String token = TestTokens.token(user);
        IntStream.range(0, 25).forEach(i -> publishFor(user, "old " + i));
        awaitInbox(token, 25);

        List<String> seen = new ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            JsonNode page = json(inbox(token).queryParam("limit", 10).queryParam("before", next).get("/api/inbox"), 200);
            seen.addAll(messages(page));
            next = page.get("next").isNull() ? null : page.get("next").asText();
            publishFor(user, "new " + pages++); // arrives while paging: on top, never inside the pages to come
            awaitInbox(token, 25 + pages); // stored before the next page is read
        } while (next != null);

        assertThat(pages, is(3));
        assertThat(seen, equalTo(IntStream.range(0, 25).mapToObj(i -> "old " + (24 - i)).toList()));
        JsonNode top = json(inbox(token).get("/api/inbox"), 200);
        assertThat(messages(top).subList(0, 3), contains("new 2", "new 1", "new 0"));
    }

    @Test
    void marksAndCountsTheUsersItems() {
        String user = user();
        String token = TestTokens.token(user);
        IntStream.range(0, 4).forEach(i -> publishFor(user, "item " + i));
        List<String> ids = ids(awaitInbox(token, 4)); // newest first: item 3, 2, 1, 0

        assertCounts(change(token, "seen", ids.subList(0, 1)), 4, 3);
        assertCounts(change(token, "read", ids.subList(0, 2)), 2, 2); // read is seen too
        assertCounts(change(token, "read", ids.subList(0, 2)), 2, 2); // again: nothing changes
        assertCounts(change(token, "unread", ids.subList(1, 2)), 3, 2);
        assertCounts(change(token, "archive", ids.subList(3, 4)), 2, 1); // archived counts for neither
        JsonNode unread = json(inbox(token).queryParam("status", "unread").get("/api/inbox"), 200);
        assertThat(messages(unread), contains("item 2", "item 1"));
        assertThat(messages(json(inbox(token).get("/api/inbox"), 200)), contains("item 3", "item 2", "item 1"));
        JsonNode withArchived = json(inbox(token).queryParam("archived", "true").get("/api/inbox"), 200);
        assertThat(messages(withArchived), contains("item 3", "item 2", "item 1", "item 0"));
        assertThat(withArchived.get("items").get(3).get("archivedAt").asText(), notNullValue());
        assertThat(withArchived.get("items").get(0).get("readAt").isNull(), is(false));
        assertCounts(change(token, "unarchive", ids.subList(3, 4)), 3, 2);
        assertCounts(json(inbox(token).contentType(ContentType.JSON).body("{\"all\":true}").post("/api/inbox/read"), 200), 0, 0);
        assertCounts(json(inbox(token).get("/api/inbox/counts"), 200), 0, 0);
    }

    @Test
    void nobodyReadsOrChangesWhatIsNotTheirs() {
        String owner = user();
        String other = user();
        String ownerToken = TestTokens.token(owner);
        String otherToken = TestTokens.token(other);
        IntStream.range(0, 3).forEach(i -> publishFor(owner, "private " + i));
        publishFor(other, "mine");
        awaitInbox(ownerToken, 3);
        awaitInbox(otherToken, 1);
        JsonNode ownersFirst = json(inbox(ownerToken).queryParam("limit", 1).get("/api/inbox"), 200);
        List<String> ownerIds = ids(awaitInbox(ownerToken, 3));

        // Another user's ids are ids nobody has: nothing changes, the same answer as for made-up ids.
        JsonNode withTheirIds = change(otherToken, "read", ownerIds);
        JsonNode withMadeUpIds = change(otherToken, "read", List.of("0-999999", "7-1"));
        assertThat(withTheirIds, equalTo(withMadeUpIds));
        assertCounts(withTheirIds, 1, 1);
        change(otherToken, "archive", ownerIds);
        assertCounts(json(inbox(ownerToken).get("/api/inbox/counts"), 200), 3, 3);
        // A cursor made from the owner's page only says where to start in the caller's own list.
        JsonNode otherWithOwnersCursor = json(inbox(otherToken).queryParam("before", ownersFirst.get("next").asText())
                .get("/api/inbox"), 200);
        assertThat(messages(otherWithOwnersCursor), everyItem(equalTo("mine")));
        otherWithOwnersCursor.get("items").forEach(item -> assertThat(item.get("user").asText(), equalTo(other)));

        for (String path : List.of("/api/inbox", "/api/inbox/counts")) {
            problem(given().get(path), 401, "unauthorized");
            problem(given().header("Authorization", "Bearer " + TestTokens.sign(TestTokens.claims(owner)
                    .expiresAt(Instant.now().minusSeconds(60)))).get(path), 401, "unauthorized");
            problem(given().header("Authorization", "Bearer some-api-key").get(path), 401, "unauthorized");
            problem(given().header("Authorization", "Basic b3duZXI6cGFzcw==").get(path), 401, "unauthorized");
        }
        // Who comes first: an anonymous caller is told 401 whatever else is wrong.
        problem(given().queryParam("limit", "0").queryParam("before", "' OR 1=1 --").get("/api/inbox"), 401, "unauthorized");
        for (String change : List.of("seen", "read", "unread", "archive", "unarchive")) {
            problem(given().contentType(ContentType.JSON).body("{\"all\":true}").post("/api/inbox/" + change), 401, "unauthorized");
            problem(given().contentType(ContentType.JSON).body("{\"ids\":\"x\"}").post("/api/inbox/" + change), 401, "unauthorized");
        }
        assertCounts(json(inbox(ownerToken).get("/api/inbox/counts"), 200), 3, 3);
        assertThat(given().get("/api/inbox").then().extract().header("WWW-Authenticate"), equalTo("Bearer"));
    }

    @Test
    void badInputGetsAProblemWithItsCode() {
        String token = TestTokens.token(user());
        for (String limit : List.of("0", "101", "-1", "ten", "1e3", "99999999999")) {
            problem(inbox(token).queryParam("limit", limit).get("/api/inbox"), 400, "invalid-limit");
        }
        for (String cursor : List.of("' OR 1=1 --", "bm90IGEgY3Vyc29y", "MTIzXzEtMSc7IERST1AgVEFCTEUgaW5ib3hfaXRlbTsgLS0", "x".repeat(200))) {
            problem(inbox(token).queryParam("before", cursor).get("/api/inbox"), 400, "invalid-cursor");
        }
        problem(inbox(token).queryParam("status", "read").get("/api/inbox"), 400, "invalid-status");
        String huge = "{\"ids\":[" + String.join(",", Collections.nCopies(8000, "\"0-123456\"")) + "]}";
        problem(inbox(token).contentType(ContentType.JSON).body(huge).post("/api/inbox/read"), 413, "body-too-large");
        problem(inbox(token).queryParam("archived", "yes").get("/api/inbox"), 400, "invalid-status");
        for (String body : List.of("{\"ids\":[\"1-1' OR '1'='1\"]}", "{\"ids\":[1]}", "{\"ids\":[\"-1-2\"]}", "{\"ids\":[null]}")) {
            problem(inbox(token).contentType(ContentType.JSON).body(body).post("/api/inbox/read"), 400, "invalid-id");
        }
        String tooMany = "{\"ids\":[" + String.join(",", IntStream.range(0, 101).mapToObj(i -> "\"0-" + i + "\"").toList()) + "]}";
        problem(inbox(token).contentType(ContentType.JSON).body(tooMany).post("/api/inbox/read"), 400, "too-many-ids");
        for (String body : List.of("{}", "[]", "{\"ids\":[]}", "{\"all\":false}", "{\"all\":\"true\"}", "{\"all\":true,\"ids\":[\"0-1\"]}",
                "{\"ids\":\"0-1\"}", "{\"every\":true}", "null")) {
            problem(inbox(token).contentType(ContentType.JSON).body(body).post("/api/inbox/seen"), 400, "invalid-selection");
        }
        problem(inbox(token).contentType(ContentType.JSON).body("{\"ids\":").post("/api/inbox/archive"), 400, "invalid-json");
        assertThat(inbox(token).contentType(ContentType.TEXT).body("{\"all\":true}").post("/api/inbox/read").statusCode(), is(415));
    }

    @Test
    void notificationsWithBadLinksOrDataAreNeverStored() {
        String user = user();
        String token = TestTokens.token(user);
        given().contentType(ContentType.JSON).body(Json.object("message", "bad", "user", user, "link", "javascript:alert(1)"))
                .post("/api/notifications").then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"message\":\"big\",\"user\":\"" + user + "\",\"data\":{\"x\":\""
                + "y".repeat(5000) + "\"}}").post("/api/notifications").then().statusCode(400);
        publishFor(user, "good");

        assertThat(messages(awaitInbox(token, 1)), contains("good"));
    }

    /** PostgreSQL text cannot hold U+0000: such a notification is stored with U+FFFD, and the ones after it as they are. */
    @Test
    void aNulInTheTextIsStoredAsTheReplacementCharacterAndStopsNothing() {
        String user = user();
        String token = TestTokens.token(user);
        Pipeline.publishJson(Json.object("message", "a\u0000b", "title", "\u0000", "user", user));
        publishFor(user, "after it");

        JsonNode page = awaitInbox(token, 2);
        assertThat(messages(page), contains("after it", "a\uFFFDb"));
        assertThat(page.get("items").get(1).get("title").asText(), equalTo("\uFFFD"));
    }

    private static String user() {
        return "user-" + UUID.randomUUID();
    }

    private static void publishFor(String user, String message) {
        Pipeline.publishJson(Json.object("message", message, "user", user));
    }

    private static RequestSpecification inbox(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    /** The first page, once it holds {@code count} items. */
    private static JsonNode awaitInbox(String token, int count) {
        return await("the inbox to hold " + count).atMost(STORED).pollInterval(Duration.ofMillis(100))
                .until(() -> json(inbox(token).queryParam("limit", 100).get("/api/inbox"), 200), page -> page.get("items").size() == count);
    }

    private static JsonNode change(String token, String change, List<String> ids) {
        String body = "{\"ids\":[" + String.join(",", ids.stream().map(id -> "\"" + id + "\"").toList()) + "]}";
        return json(inbox(token).contentType(ContentType.JSON).body(body).post("/api/inbox/" + change), 200);
    }

    private static void assertCounts(JsonNode counts, long unread, long unseen) {
        assertThat(counts.toString(), counts.get("unread").asLong(), is(unread));
        assertThat(counts.toString(), counts.get("unseen").asLong(), is(unseen));
    }

    private static void problem(Response response, int status, String code) {
        JsonNode problem = json(response, status);
        assertThat(response.contentType(), equalTo("application/problem+json"));
        assertThat(problem.get("type").asText(), equalTo("urn:notifications:problem:" + code));
        assertThat(problem.get("status").asInt(), is(status));
        assertThat(problem.get("detail").asText().isBlank(), is(false));
    }

    private static JsonNode json(Response response, int status) {
        assertThat(response.asString(), response.statusCode(), is(status));
        return Json.parse(response.asString());
    }

    private static List<String> messages(JsonNode page) {
        List<String> messages = new ArrayList<>();
        page.get("items").forEach(item -> messages.add(item.get("message").asText()));
        return messages;
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(item -> ids.add(item.get("id").asText()));
        return ids;
    }
}
