package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * The inbox across two replicas of the packaged service on one topic of three partitions, sharing one PostgreSQL:
 * users who were away get exactly what was addressed to them, stored once, though one replica was SIGKILLed and
 * restarted midway and the replay window passed many times over; a device on one replica sees a change made on the
 * other within a second.
 */
class InboxReplicasIT {

    // A directory of its own each run: the JVM's and the native executable's runs of this IT must not share a topic.
    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-inbox-it");
    private static final int USERS = 200;
    private static final int PER_USER = 20; // 4,000 user notifications in all, half over REST, half from a producer
    private static final int BROADCASTS = 20_000;
    private static ServiceProcess first;
    private static ServiceProcess second;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        BROKER.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("notifications", 3, (short) 1))).all().get();
        }
        first = replica("inbox-1").start();
        second = replica("inbox-2").start();
        first.awaitDelivering();
        second.awaitDelivering();
    }

    private static ServiceProcess replica(String id) {
        Map<String, String> settings = new HashMap<>(new TestTokens().start());
        settings.put("notifications.history.size", "1000"); // the broadcasts pass the replay window 20 times over
        return new ServiceProcess(BROKER.bootstrapServers(), id, settings);
    }

    @AfterAll
    static void stop() {
        try {
            for (ServiceProcess replica : new ServiceProcess[] {first, second}) {
                if (replica != null) {
                    replica.close();
                }
            }
        } finally {
            BROKER.stop();
        }
    }

    @Test
    void everyUserGetsExactlyWhatWasAddressedToThemThoughAReplicaWasKilled() throws Exception {
        String run = UUID.randomUUID().toString();
        List<String> users = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            users.add("away-" + i + "-" + run);
        }
        Map<String, Set<String>> expected = new ConcurrentHashMap<>();
        users.forEach(user -> expected.put(user, ConcurrentHashMap.newKeySet()));
        AtomicBoolean killed = new AtomicBoolean();

        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(BROKER.bootstrapServers())) {
            int broadcastsPerRound = BROADCASTS / PER_USER;
            for (int round = 0; round < PER_USER; round++) {
                for (int b = 0; b < broadcastsPerRound; b++) {
                    producer.send(new ProducerRecord<>("notifications", Json.object("message", "broadcast " + round + "-" + b)
                            .getBytes(StandardCharsets.UTF_8)));
                }
                for (int u = 0; u < USERS; u++) {
                    String user = users.get(u);
                    String message = "for " + user + " #" + round;
                    if ((u + round) % 2 == 0) {
                        producer.send(new ProducerRecord<>("notifications", user,
                                Json.object("message", message, "user", user).getBytes(StandardCharsets.UTF_8))).get();
                        expected.get(user).add(message);
                    } else {
                        ServiceProcess via = u % 4 < 2 ? first : second;
                        HttpResponse<String> response = via.publishJson(Json.object("message", message, "user", user));
                        if (response != null && response.statusCode() == 202) {
                            expected.get(user).add(message); // only what got a 202 counts as accepted
                        }
                    }
                }
                if (round == PER_USER / 2 && killed.compareAndSet(false, true)) {
                    second.kill(); // midway: its part of the writers' group is taken over, its uncommitted batch written again
                    second.start();
                }
            }
            producer.flush();
        }
        assertThat(killed.get(), is(true));
        int accepted = expected.values().stream().mapToInt(Set::size).sum();
        assertThat(accepted > USERS * PER_USER * 9 / 10, is(true));

        List<String> wrong = new ArrayList<>();
        await("every inbox to hold what was accepted for its user").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                .until(() -> users.stream().allMatch(user -> inbox(first, user).size() == expected.get(user).size()));
        for (String user : users) {
            List<JsonNode> items = inbox(users.indexOf(user) % 2 == 0 ? first : second, user);
            List<String> messages = items.stream().map(item -> item.get("message").asText()).toList();
            Set<String> unique = new HashSet<>(messages);
            if (unique.size() != messages.size()) {
                wrong.add(user + ": duplicated " + messages);
            }
            if (!unique.equals(expected.get(user))) {
                wrong.add(user + ": stored " + unique + ", expected " + expected.get(user));
            }
            for (int i = 1; i < items.size(); i++) {
                if (Instant.parse(items.get(i).get("timestamp").asText()).isAfter(Instant.parse(items.get(i - 1).get("timestamp").asText()))) {
                    wrong.add(user + ": not newest first at " + i);
                }
            }
        }
        assertThat(wrong, empty());
    }

    @Test
    void aChangeOnOneReplicaReachesTheUsersDeviceOnTheOtherWithinASecond() {
        String user = "devices-" + UUID.randomUUID();
        String token = TestTokens.token(user);
        try (SocketClient onFirst = SocketClient.connectWithToken(first.baseUri(), token, "");
             SocketClient onSecond = SocketClient.connectWithToken(second.baseUri(), token, "")) {
            onSecond.awaitFrame("counts on open", counts(0));
            assertThat(first.publishJson(Json.object("message", "one for both", "user", user)).statusCode(), equalTo(202));
            onFirst.awaitFrame("the new one counted", counts(1));
            onSecond.awaitFrame("the new one counted", counts(1));
            int before = onSecond.frames().size();

            HttpResponse<String> read = send(HttpRequest.newBuilder(first.baseUri().resolve("/api/inbox/read"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"all\":true}")).build());
            assertThat(read.body(), read.statusCode(), equalTo(200));

            await().atMost(Duration.ofSeconds(1)).until(() -> onSecond.frames().stream().skip(before).anyMatch(counts(0)));
        }
    }

    private static java.util.function.Predicate<JsonNode> counts(long unread) {
        return frame -> "inbox".equals(frame.path("type").asText()) && frame.path("unread").asLong() == unread;
    }

    /** Every item of the user's inbox, page after page. */
    private List<JsonNode> inbox(ServiceProcess service, String user) {
        String token = TestTokens.token(user);
        List<JsonNode> items = new ArrayList<>();
        String next = null;
        do {
            URI page = service.baseUri().resolve("/api/inbox?limit=7" + (next == null ? "" : "&before=" + next));
            HttpResponse<String> response = send(HttpRequest.newBuilder(page).header("Authorization", "Bearer " + token).build());
            assertThat(response.body(), response.statusCode(), equalTo(200));
            JsonNode body = Json.parse(response.body());
            body.get("items").forEach(items::add);
            next = body.get("next").isNull() ? null : body.get("next").asText();
        } while (next != null);
        return items;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
