package org.acme.notifications.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.NotificationId;
import org.acme.notifications.kafka.InjectKafkaBroker;
import org.acme.notifications.kafka.KafkaBroker;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.acme.notifications.testsupport.WholeMessages;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

/**
 * Isolation under load: 1,000 sockets as 200 users (5 sockets each) in 20 channels; 20,000 notifications, mixed
 * broadcast, channel, user and user-in-channel, published half over REST and half straight into Kafka, while
 * sockets join, subscribe, unsubscribe, leave and resume. Then the topic is read back and every socket's stream is
 * compared with what it was entitled to, session by session: exactly those notifications, in order, once.
 *
 * <p>Entitlement follows the protocol: a session resumes after a known id with its {@code ?channels=}, and each
 * {@code subscribed} / {@code unsubscribed} answer names the id after which it takes effect. A session that was
 * left is checked up to the last notification it received; the one after it resumes from there.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class IsolationUnderLoadTest {

    private static final int USERS = 200;
    private static final int SOCKETS_PER_USER = 5;
    private static final int CHANNELS = 20;
    private static final int NOTIFICATIONS = 20_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URI baseUri;

    @InjectKafkaBroker
    KafkaBroker broker;

    private final Random random = new Random(42);
    private final ExecutorService callbacks = Executors.newFixedThreadPool(4);
    private final HttpClient http = HttpClient.newBuilder().executor(callbacks).build();

    @AfterEach
    void stopThreads() {
        callbacks.shutdownNow();
    }

    @Test
    void everySocketGetsExactlyWhatItIsEntitledToInOrderOnce() throws Exception {
        try (SocketClient probe = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(probe);
        }
        long start = publishOverRest(Map.of("message", "start"));
        List<Client> clients = new ArrayList<>();
        for (int user = 0; user < USERS; user++) {
            String token = TestTokens.token("user-" + user);
            for (int socket = 0; socket < SOCKETS_PER_USER; socket++) {
                Set<String> channels = new LinkedHashSet<>(List.of(channel(random.nextInt(CHANNELS)), channel(random.nextInt(CHANNELS))));
                Client client = new Client("user-" + user, token);
                client.resume(start, channels);
                clients.add(client);
            }
        }
        clients.forEach(client -> client.current().opened.join());
        await("every socket resumed").atMost(Duration.ofSeconds(60)).until(() -> clients.stream().allMatch(client -> client.current().resumed));

        AtomicBoolean publishing = new AtomicBoolean(true);
        ExecutorService publishers = Executors.newFixedThreadPool(2);
        CompletableFuture<Void> overRest = CompletableFuture.runAsync(() -> publishOverRest(NOTIFICATIONS / 2), publishers);
        CompletableFuture<Void> intoKafka = CompletableFuture.runAsync(() -> publishIntoKafka(NOTIFICATIONS / 2), publishers);
        CompletableFuture.allOf(overRest, intoKafka).whenComplete((done, failure) -> publishing.set(false));
        publishers.shutdown();
        int changes = 0;
        int joined = 0;
        while (publishing.get()) {
            if (random.nextInt(20) == 0) {
                clients.add(join(clients));
                joined++;
            } else {
                clients.get(random.nextInt(clients.size())).change(random);
            }
            changes++;
        }
        overRest.join();
        intoKafka.join();

        long end = publishOverRest(Map.of("message", "end"));
        await("every socket receiving the end").atMost(Duration.ofSeconds(120))
                .until(() -> clients.stream().allMatch(client -> client.current().last() >= end));
        Map<Long, Record> topic = readTopic(start, end);
        List<String> problems = new ArrayList<>();
        for (Client client : clients) {
            problems.addAll(client.check(topic, end));
        }
        clients.forEach(Client::close);
        System.out.printf("Isolation under load: %d sockets (%d joined while publishing), %d notifications, %d joins, subscription "
                + "changes and resumes, %d sessions%n", clients.size(), joined, topic.size(), changes,
                clients.stream().mapToInt(client -> client.sessions.size()).sum());
        assertThat(problems.stream().limit(20).toList(), empty());
    }

    /**
     * A new socket of one of the users joins while notifications flow, from the newest id another socket has: a tab
     * opened now, which knows where the stream is (a fresh tab without one would have no exact starting point).
     */
    private Client join(List<Client> clients) {
        long newest = clients.stream().mapToLong(client -> client.current().last()).max().orElseThrow();
        int user = random.nextInt(USERS);
        Client client = new Client("user-" + user, TestTokens.token("user-" + user));
        client.resume(newest, Set.of(channel(random.nextInt(CHANNELS))));
        client.awaitResumed();
        return client;
    }

    private static String channel(int index) {
        return "lobby-" + index;
    }

    /** A notification of the mix: 10% broadcast, 40% channel, 40% user, 10% user in a channel. */
    private Map<String, String> anyNotification(int i) {
        Map<String, String> body = new HashMap<>();
        body.put("message", "n" + i);
        int kind = random.nextInt(10);
        if (kind >= 1 && kind <= 4 || kind == 9) {
            body.put("channel", channel(random.nextInt(CHANNELS)));
        }
        if (kind >= 5) {
            body.put("user", "user-" + random.nextInt(USERS));
        }
        return body;
    }

    private long publishOverRest(Map<String, String> body) {
        try {
            HttpResponse<String> response = http.send(post(body), HttpResponse.BodyHandlers.ofString());
            assertThat(response.body(), response.statusCode(), equalTo(202));
            return offsetOf(JSON.readTree(response.body()).path("id").asText());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void publishOverRest(int count) {
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, String> body;
            synchronized (random) {
                body = anyNotification(i);
            }
            inFlight.acquireUninterruptibly();
            sent.add(http.sendAsync(post(body), HttpResponse.BodyHandlers.ofString()).whenComplete((r, f) -> inFlight.release()));
        }
        sent.forEach(response -> assertThat(response.join().body(), response.join().statusCode(), equalTo(202)));
    }

    private void publishIntoKafka(int count) {
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                Map<String, String> body;
                synchronized (random) {
                    body = anyNotification(NOTIFICATIONS + i);
                }
                String key = body.containsKey("user") ? "user:" + body.get("user") : body.containsKey("channel") ? "channel:" + body.get("channel") : null;
                producer.send(new ProducerRecord<>("notifications", key, JSON.writeValueAsBytes(body)));
            }
            producer.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest post(Map<String, String> body) {
        try {
            return HttpRequest.newBuilder(baseUri.resolve("/api/notifications")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Who each record of the topic was for, by offset, from this test's first record ({@code start}) up to {@code end}:
     * the broker is shared with the test classes that ran before, whose records may be anything.
     */
    private Map<Long, Record> readTopic(long start, long end) {
        Map<Long, Record> records = new HashMap<>();
        TopicPartition partition = new TopicPartition("notifications", 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            assertThat("the ids of this test name partition 0 only", consumer.partitionsFor("notifications").size(), equalTo(1));
            consumer.assign(List.of(partition));
            consumer.seek(partition, start);
            await("the topic read back").atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode value = JSON.readTree(record.value());
                    records.put(record.offset(), new Record(record.offset(), text(value, "user"), text(value, "channel")));
                }
                return records.containsKey(end);
            });
        }
        records.keySet().removeIf(offset -> offset > end);
        return records;
    }

    private static String text(JsonNode value, String field) {
        return value.path(field).isTextual() ? value.path(field).textValue() : null;
    }

    private static long offsetOf(String id) {
        return NotificationId.parse(id).offset();
    }

    private record Record(long offset, String user, String channel) {
    }

    /** A channel (un)subscription as answered: it takes effect for notifications after {@code after}. */
    private record Change(String channel, boolean subscribed, long after) {
    }

    /** One socket's life from a resume to its close: what it was sent, and its subscription changes. */
    private static final class Session {
        final long since;
        final Set<String> channels;
        final List<Long> received = new ArrayList<>();
        final List<Change> changes = new ArrayList<>();
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean resumed;
        volatile String pendingAnswer;
        CompletableFuture<WebSocket> opened;
        volatile WebSocket socket;

        Session(long since, Set<String> channels) {
            this.since = since;
            this.channels = Set.copyOf(channels);
        }

        synchronized void onFrame(String text) {
            if (text.startsWith("{\"id\":\"")) {
                received.add(offsetOf(text.substring(7, text.indexOf('"', 7))));
                return;
            }
            try {
                JsonNode frame = JSON.readTree(text);
                String type = frame.path("type").asText();
                switch (type) {
                    case "resumed" -> resumed = true;
                    case "inbox" -> { } // a signed-in socket's stored counts: not a delivery (InboxLiveCountsTest)
                    case "subscribed", "unsubscribed" -> {
                        if (frame.hasNonNull("after")) { // those at connect (no 'after') start at the resume
                            changes.add(new Change(frame.path("channel").asText(), type.equals("subscribed"), offsetOf(frame.path("after").asText())));
                            pendingAnswer = null;
                        }
                    }
                    default -> problems.add("unexpected frame " + text);
                }
            } catch (IOException e) {
                problems.add("not JSON: " + text);
            }
        }

        synchronized long last() {
            return received.isEmpty() ? since : received.get(received.size() - 1);
        }

        /** Whether the channel was subscribed for the notification at {@code offset}. */
        synchronized boolean subscribedAt(String channel, long offset) {
            boolean subscribed = channels.contains(channel);
            for (Change change : changes) {
                if (change.channel().equals(channel) && change.after() < offset) {
                    subscribed = change.subscribed();
                }
            }
            return subscribed;
        }
    }

    /** One logical client: a user's tab, through its sessions. */
    private final class Client {
        final String user;
        final String token;
        final List<Session> sessions = new ArrayList<>();
        final Set<String> channels = new HashSet<>();

        Client(String user, String token) {
            this.user = user;
            this.token = token;
        }

        Session current() {
            return sessions.get(sessions.size() - 1);
        }

        void resume(long since, Set<String> wanted) {
            channels.clear();
            channels.addAll(wanted);
            Session session = new Session(since, wanted);
            sessions.add(session);
            URI uri = SocketClient.socketUri(baseUri, "?since=0-" + since + "&channels=" + String.join(",", wanted));
            session.opened = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(uri, new WholeMessages(session::onFrame, code -> {
                        if (code != WebSocket.NORMAL_CLOSURE) {
                            session.problems.add(user + " closed by the server: " + code);
                        }
                    }))
                    .whenComplete((socket, failure) -> session.socket = socket);
        }

        void awaitResumed() {
            current().opened.join();
            soon("a resume of " + user).until(() -> current().resumed);
        }

        /** One change, answered before the next: subscribe, unsubscribe, or leave and resume after the last id. */
        void change(Random random) {
            int what = random.nextInt(3);
            if (what == 2 || channels.isEmpty() && what == 1) {
                Session left = current();
                left.socket.sendClose(WebSocket.NORMAL_CLOSURE, "leaving").join();
                soon("the close of " + user).until(left.socket::isInputClosed);
                resume(left.last(), channels);
                awaitResumed();
                return;
            }
            String channel = what == 0 ? channel(random.nextInt(CHANNELS)) : channels.iterator().next();
            if (what == 0 && (channels.contains(channel) || channels.size() >= 4)) {
                return;
            }
            Session session = current();
            session.pendingAnswer = channel;
            session.socket.sendText("{\"type\":\"" + (what == 0 ? "subscribe" : "unsubscribe") + "\",\"channel\":\"" + channel + "\"}", true).join();
            soon("an answer to " + user).until(() -> session.pendingAnswer == null);
            if (what == 0) {
                channels.add(channel);
            } else {
                channels.remove(channel);
            }
        }

        /** Each session: exactly what it was entitled to, up to its last notification (the last session: to the end). */
        List<String> check(Map<Long, Record> topic, long end) {
            List<String> problems = new ArrayList<>();
            for (Session session : sessions) {
                problems.addAll(session.problems);
                List<Long> expected = new ArrayList<>();
                long upTo = session == current() ? end : session.last();
                for (long offset = session.since + 1; offset <= upTo; offset++) {
                    Record record = topic.get(offset);
                    if (record != null && entitled(session, record)) {
                        expected.add(offset);
                    }
                }
                List<Long> received;
                synchronized (session) {
                    received = List.copyOf(session.received);
                }
                if (!received.equals(expected)) {
                    problems.add(user + " session after " + session.since + ": expected " + expected.size() + " notifications, got "
                            + received.size() + "; first difference at " + firstDifference(expected, received));
                }
            }
            return problems;
        }

        private boolean entitled(Session session, Record record) {
            if (record.user() != null && !record.user().equals(user)) {
                return false;
            }
            return record.channel() == null || session.subscribedAt(record.channel(), record.offset());
        }

        void close() {
            current().socket.abort();
        }
    }

    /** A wait for one answer: polled often, the churn goes on as fast as the service answers. */
    private static ConditionFactory soon(String what) {
        return await(what).atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
    }

    private static String firstDifference(List<Long> expected, List<Long> received) {
        for (int i = 0; i < Math.max(expected.size(), received.size()); i++) {
            Long want = i < expected.size() ? expected.get(i) : null;
            Long got = i < received.size() ? received.get(i) : null;
            if (want == null || !want.equals(got)) {
                return "#" + i + ": expected offset " + want + ", got " + got;
            }
        }
        return "none";
    }
}
