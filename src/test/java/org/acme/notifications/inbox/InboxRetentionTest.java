package org.acme.notifications.inbox;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.Notification;
import org.acme.notifications.inbox.InboxStore.NewItem;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * What the inbox keeps: each notification once however often it is written, nothing older than the retention, and only
 * each user's newest {@code max-per-user} (3 here) after a purge.
 */
@QuarkusTest
@TestProfile(InboxRetentionTest.SmallInbox.class)
@WithTestResource(KafkaBrokerResource.class)
class InboxRetentionTest {

    public static class SmallInbox implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.inbox.retention", "1d", "notifications.inbox.max-per-user", "3");
        }
    }

    @Inject
    InboxStore store;

    @Inject
    InboxPurge purge;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void aNotificationWrittenAgainIsStoredOnce() {
        String user = "user-" + UUID.randomUUID();
        List<NewItem> batch = List.of(
                new NewItem(new Notification("5-100", "once", null, null, user, null, null, "{\"a\":1}", Instant.now()), null),
                new NewItem(new Notification("5-101", "once more", null, null, user, "news", "/x", null, Instant.now()), null));

        assertThat(store.store(batch).await().atMost(Duration.ofSeconds(10)), equalTo(List.of(user, user)));
        assertThat(store.store(batch).await().atMost(Duration.ofSeconds(10)), empty());
        assertThat(store.store(batch.subList(1, 2)).await().atMost(Duration.ofSeconds(10)), empty());

        assertThat(messages(user), contains("once more", "once"));
    }

    /**
     * A retry is another record (another id) with the same key: the first of them is stored; a key reused for another
     * user is a repeat too, as the live consumers judge it; another publisher's key is its own.
     */
    @Test
    void aNotificationPublishedAgainWithItsIdempotencyKeyIsStoredOnce() {
        String user = "user-" + UUID.randomUUID();
        String other = "user-" + UUID.randomUUID();
        IdempotencyKey key = new IdempotencyKey("key-0123456789abcdef", "export-" + UUID.randomUUID());
        Instant now = Instant.now();
        List<NewItem> batch = List.of(
                new NewItem(new Notification("6-200", "first", null, null, user, null, null, null, now), key),
                new NewItem(new Notification("6-201", "its retry", null, null, user, null, null, null, now), key),
                new NewItem(new Notification("6-202", "for another user", null, null, other, null, null, null, now), key),
                new NewItem(new Notification("6-203", "another publisher's", null, null, user, null, null, null, now),
                        new IdempotencyKey("kafka", key.key())));

        assertThat(store.store(batch).await().atMost(Duration.ofSeconds(10)), equalTo(List.of(user, user)));
        NewItem later = new NewItem(new Notification("7-1", "a retry an hour later", null, null, user, null, null, null, now.plusSeconds(3600)), key);
        assertThat(store.store(List.of(later)).await().atMost(Duration.ofSeconds(10)), empty());
        assertThat(messages(user), contains("another publisher's", "first"));
        assertThat(messages(other), empty());
    }

    @Test
    void thePurgeKeepsTheNewestPerUserWithinTheRetention() throws Exception {
        String user = "user-" + UUID.randomUUID();
        String other = "user-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            long twoDaysAgo = Instant.now().minus(2, ChronoUnit.DAYS).toEpochMilli();
            producer.send(new ProducerRecord<>("notifications", null, twoDaysAgo, null,
                    Json.object("message", "too old", "user", other).getBytes(StandardCharsets.UTF_8))).get();
        }
        for (int i = 0; i < 5; i++) {
            Pipeline.publishJson(Json.object("message", "item " + i, "user", user));
        }
        Pipeline.publishJson(Json.object("message", "recent", "user", other));
        await().atMost(Duration.ofSeconds(30)).until(() -> messages(user).size() == 5 && messages(other).size() == 2);

        assertThat(purge.now().await().atMost(Duration.ofSeconds(30)) >= 3, is(true));

        assertThat(messages(user), contains("item 4", "item 3", "item 2"));
        assertThat(messages(other), contains("recent"));
        assertThat(given().header("Authorization", "Bearer " + TestTokens.token(user)).get("/api/inbox/counts")
                .then().statusCode(200).extract().jsonPath().getInt("unread"), is(3));
    }

    private static List<String> messages(String user) {
        return given().header("Authorization", "Bearer " + TestTokens.token(user)).queryParam("limit", 100).get("/api/inbox")
                .then().statusCode(200).extract().jsonPath().getList("items.message", String.class);
    }
}
