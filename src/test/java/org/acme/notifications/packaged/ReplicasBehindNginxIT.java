package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PemTrustOptions;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.NginxProxy;
import org.acme.notifications.testsupport.ResumingSubscriber;
import org.acme.notifications.testsupport.ResumingSubscriber.Delivery;
import org.acme.notifications.testsupport.ResumingSubscriber.Outage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

/**
 * Debian's nginx, with the shipped configuration, in front of two replicas, round robin, with 1,000 sockets through it
 * and a steady publishing load through it too. One replica gets SIGTERM, as a rolling update stops a pod, and comes
 * back; then one is SIGKILLed. Every subscriber reconnects through nginx as the JavaScript client does, resuming with
 * {@code ?since=}, and its whole sequence is checked against the topic: nothing lost, nothing twice, nothing out of
 * order. How long subscribers went without delivery is printed, per fault.
 */
class ReplicasBehindNginxIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SUBSCRIBERS = 1000;
    private static final int PARTITIONS = 3;
    private static final Duration PUBLISH_EVERY = Duration.ofMillis(200); // 5 notifications a second
    private static final Duration BETWEEN_FAULTS = Duration.ofSeconds(5);

    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-behind-nginx-it");
    private static ServiceProcess first;
    private static ServiceProcess second;
    private static NginxProxy nginx;

    @BeforeAll
    static void start() throws Exception {
        first = new ServiceProcess(BROKER.bootstrapServers(), "behind-nginx-1");
        second = new ServiceProcess(BROKER.bootstrapServers(), "behind-nginx-2");
        // nginx first: without it the test is aborted (or fails under CI) before anything else starts.
        nginx = NginxProxy.start(List.of(first.baseUri().getPort(), second.baseUri().getPort()));
        BROKER.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("notifications", PARTITIONS, (short) 1))).all().get();
        }
        first.start().awaitDelivering();
        second.start().awaitDelivering();
    }

    @AfterAll
    static void stop() {
        try (NginxProxy proxy = nginx; ServiceProcess one = first; ServiceProcess two = second) {
            BROKER.stop();
        }
    }

    @Test
    void aRollingRestartThenACrashLoseNothingAndRepeatNothing() throws Exception {
        // One Vert.x per core: subscribers connected from this thread share one event loop of their Vert.x.
        List<Vertx> loops = List.of(Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)), Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)));
        WebSocketClientOptions tls = new WebSocketClientOptions()
                .setTrustOptions(new PemTrustOptions().addCertPath(nginx.certificate().toString()))
                .setConnectTimeout(10_000);
        // A client each, as each browser is its own: one shared client holds at most maxConnections to one server.
        List<ResumingSubscriber> subscribers = IntStream.range(0, SUBSCRIBERS).mapToObj(i -> loops.get(i % loops.size()))
                .map(vertx -> ResumingSubscriber.connect(vertx, vertx.createWebSocketClient(tls), "127.0.0.1", nginx.port())).toList();
        try (Publisher publisher = new Publisher(nginx.httpClient(HttpClient.Version.HTTP_2), nginx.uri().resolve("/api/notifications"))) {
            await("every subscriber's socket open through nginx").atMost(Duration.ofSeconds(60))
                    .until(() -> subscribers.stream().allMatch(ResumingSubscriber::isOpen));
            // Round robin: both replicas hold sockets.
            assertThat(openSockets(first), greaterThan(0));
            assertThat(openSockets(second), greaterThan(0));
            String run = UUID.randomUUID().toString().substring(0, 8);
            String marker = "behind nginx " + run + " starts";
            publisher.publishUntilAccepted(marker);
            awaitEveryone(subscribers, "the marker", subscriber -> subscriber.received(marker));
            Map<Integer, Long> from = endOffsets(); // every record from here on is for every subscriber

            long publishingFrom = System.nanoTime();
            publisher.startPublishing("behind nginx " + run);
            publisher.awaitAccepted(BETWEEN_FAULTS);

            int heldByFirst = openSockets(first);
            long terminatedAt = System.nanoTime();
            first.terminate(); // a rolling update: the pod gets SIGTERM, and a new one takes its place
            first.start();
            publisher.awaitAccepted(BETWEEN_FAULTS);

            int heldBySecond = openSockets(second);
            long killedAt = System.nanoTime();
            second.kill(); // a crash: no goodbye
            second.start();
            publisher.awaitAccepted(BETWEEN_FAULTS);

            List<String> accepted = publisher.stop();
            List<TopicRecord> topic = recordsFrom(from);
            Map<Integer, Long> lastOffsets = topic.stream().collect(Collectors.toMap(TopicRecord::partition, TopicRecord::offset, Math::max));
            awaitEveryone(subscribers, "the topic's last records", subscriber -> lastOffsets.entrySet().stream()
                    .allMatch(last -> subscriber.position(last.getKey()) >= last.getValue()));
            // Every publish was retried with its key until accepted: what the topic delivers is exactly what was accepted.
            assertThat(topic.stream().map(TopicRecord::message).sorted().toList(), equalTo(accepted.stream().sorted().toList()));
            List<String> wrong = new ArrayList<>();
            for (int n = 0; n < subscribers.size(); n++) {
                int i = n;
                ResumingSubscriber subscriber = subscribers.get(i);
                String sequence = againstTheTopic(subscriber.deliveries(), from, topic);
                if (sequence != null) {
                    wrong.add("subscriber " + i + ": " + sequence);
                }
                for (JsonNode control : subscriber.controls()) {
                    String type = control.path("type").asText();
                    if (!type.equals("resumed")) {
                        wrong.add("subscriber " + i + " got " + control);
                    }
                }
                // SIGTERM closes with 1001, SIGKILL's reset is 1006; 4009 (this replica has not caught up: retry) is normal.
                subscriber.drops().stream().filter(drop -> drop.code() != 4009
                                && drop.code() != (drop.atNanos() < killedAt ? 1001 : 1006))
                        .forEach(drop -> wrong.add("subscriber " + i + " was closed with " + drop.code()));
            }
            assertThat(wrong.size() + " wrong, the first: " + wrong.stream().limit(20).toList(), wrong, empty());
            // Every socket the stopped or killed replica held was dropped, and no other.
            assertThat("subscribers SIGTERM dropped", droppedBetween(subscribers, terminatedAt, killedAt, 1001), equalTo((long) heldByFirst));
            assertThat("subscribers SIGKILL dropped", droppedBetween(subscribers, killedAt, Long.MAX_VALUE, 1006), equalTo((long) heldBySecond));

            System.out.printf("ReplicasBehindNginxIT: %d subscribers through nginx, %d notifications accepted over %d s, "
                            + "%d failed attempts retried (refused or unanswered); every sequence checked against %d records%n"
                            + "  after SIGTERM: %s%n  after SIGKILL: %s%n  reconnects refused: %s%n",
                    SUBSCRIBERS, accepted.size(), Duration.ofNanos(System.nanoTime() - publishingFrom).toSeconds(),
                    publisher.retried(), topic.size(), describe(subscribers, terminatedAt, killedAt),
                    describe(subscribers, killedAt, Long.MAX_VALUE), subscribers.stream().flatMap(subscriber -> subscriber.refusals().entrySet().stream())
                            .collect(Collectors.groupingBy(Map.Entry::getKey, TreeMap::new, Collectors.summingInt(Map.Entry::getValue))));
        } finally {
            subscribers.forEach(ResumingSubscriber::close);
            loops.forEach(Vertx::close);
        }
    }

    /** How many subscribers were dropped with {@code code} in that time. */
    private static long droppedBetween(List<ResumingSubscriber> subscribers, long fromNanos, long toNanos, int code) {
        return subscribers.stream().filter(subscriber -> subscriber.drops().stream()
                .anyMatch(drop -> drop.code() == code && drop.atNanos() >= fromNanos && drop.atNanos() < toNanos)).count();
    }

    /**
     * What is wrong with one subscriber's sequence, or null: each partition's offsets only ever grow, whatever a resume
     * replayed; from {@code from} on they are exactly the topic's records, each with its own message, in order, once;
     * and no message comes twice, whatever its id.
     */
    private static String againstTheTopic(List<Delivery> deliveries, Map<Integer, Long> from, List<TopicRecord> topic) {
        Map<Integer, List<TopicRecord>> received = new HashMap<>();
        Map<Integer, Long> last = new HashMap<>();
        Set<String> messages = new HashSet<>();
        for (Delivery delivery : deliveries) {
            Long before = last.put(delivery.partition(), delivery.offset());
            if (before != null && delivery.offset() <= before) {
                return "partition " + delivery.partition() + ": " + delivery.offset() + " after " + before;
            }
            if (delivery.offset() >= from.get(delivery.partition())) {
                received.computeIfAbsent(delivery.partition(), p -> new ArrayList<>())
                        .add(new TopicRecord(delivery.partition(), delivery.offset(), delivery.message()));
                if (!messages.add(delivery.message())) {
                    return "got \"" + delivery.message() + "\" twice";
                }
            }
        }
        for (int partition = 0; partition < PARTITIONS; partition++) {
            int p = partition;
            List<TopicRecord> expected = topic.stream().filter(record -> record.partition() == p).toList();
            List<TopicRecord> got = received.getOrDefault(partition, List.of());
            if (!got.equals(expected)) {
                return "partition " + partition + ": received " + summary(got) + ", the topic has " + summary(expected);
            }
        }
        return null;
    }

    private static String summary(List<TopicRecord> records) {
        List<Long> offsets = records.stream().map(TopicRecord::offset).toList();
        return offsets.size() + " records, " + offsets.stream().limit(3).toList() + "..."
                + offsets.stream().skip(Math.max(0, offsets.size() - 3)).toList()
                + " missing " + (offsets.isEmpty() ? List.of() : LongStream.rangeClosed(offsets.get(0), offsets.get(offsets.size() - 1))
                .filter(offset -> !offsets.contains(offset)).limit(5).boxed().toList());
    }

    /**
     * "500 reconnected; open again p50 .. ms, ...; without delivery p50 .. ms, ...", over the subscribers dropped in
     * that time. Open again: from the drop to a socket open again. Without delivery: from the last notification before
     * the drop to the first after (at 5 a second, up to 200 ms of that is the gap between two notifications).
     */
    private static String describe(List<ResumingSubscriber> subscribers, long fromNanos, long toNanos) {
        List<Outage> outages = subscribers.stream().flatMap(subscriber -> subscriber.outages().stream()
                .filter(outage -> outage.drop().atNanos() >= fromNanos && outage.drop().atNanos() < toNanos).limit(1)).toList();
        if (outages.isEmpty()) {
            return "none reconnected";
        }
        return String.format("%d reconnected; open again %s; without delivery %s", outages.size(),
                percentiles(outages.stream().map(Outage::reopenedNanos).toList()),
                percentiles(outages.stream().map(Outage::withoutDeliveryNanos).toList()));
    }

    private static String percentiles(List<Long> nanos) {
        List<Long> millis = nanos.stream().map(each -> each / 1_000_000).sorted().toList();
        return String.format("p50 %d ms, p99 %d ms, max %d ms", millis.get(millis.size() / 2),
                millis.get((int) Math.min(millis.size() - 1, Math.ceil(millis.size() * 0.99) - 1)), millis.get(millis.size() - 1));
    }

    private static void awaitEveryone(List<ResumingSubscriber> subscribers, String what, Predicate<ResumingSubscriber> done) {
        await("every subscriber to get " + what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> subscribers.stream().allMatch(done));
    }

    private static int openSockets(ServiceProcess replica) {
        return (int) Metrics.value(replica.baseUri(), "notifications_connections");
    }

    private record TopicRecord(int partition, long offset, String message) {
    }

    private static Map<Integer, Long> endOffsets() {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            return consumer.endOffsets(partitions()).entrySet().stream()
                    .collect(Collectors.toMap(end -> end.getKey().partition(), Map.Entry::getValue));
        }
    }

    /** The records of the topic from {@code from} on that are delivered (all but the repeats of a key), in each partition's order. */
    private static List<TopicRecord> recordsFrom(Map<Integer, Long> from) throws IOException {
        List<TopicRecord> records = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : KafkaClients.deliveredRecords(BROKER.bootstrapServers(), "notifications", PARTITIONS)) {
            if (record.offset() >= from.get(record.partition())) {
                records.add(new TopicRecord(record.partition(), record.offset(),
                        JSON.readTree(new String(record.value(), StandardCharsets.UTF_8)).get("message").asText()));
            }
        }
        return records;
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", BROKER.bootstrapServers()), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions() {
        return IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition("notifications", p)).toList();
    }

    /**
     * A publisher through nginx at a steady rate, as a backend would: each notification with its own
     * {@code Idempotency-Key}, retried with it until it gets a 202 (a 502 or 504 from nginx while a replica is gone, a
     * 503, no answer), backing off from 100 ms to 1 s; a 429 waits 1 s (the service's {@code Retry-After}).
     */
    private static final class Publisher implements AutoCloseable {

        private final HttpClient http;
        private final URI uri;
        private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        private final ExecutorService attempts = Executors.newFixedThreadPool(32);
        private final ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        private final AtomicInteger retried = new AtomicInteger();
        private int sent;

        Publisher(HttpClient http, URI uri) {
            this.http = http;
            this.uri = uri;
        }

        void startPublishing(String prefix) {
            clock.scheduleAtFixedRate(() -> {
                try {
                    String message = prefix + " #" + sent++;
                    pending.add(message);
                    attempts.submit(() -> {
                        try {
                            publishUntilAccepted(message);
                            accepted.add(message);
                        } catch (Throwable e) {
                            failures.add(e);
                        } finally {
                            pending.remove(message);
                        }
                    });
                } catch (RuntimeException e) { // a scheduled task that throws is never run again: say why it stopped
                    failures.add(e);
                }
            }, 0, PUBLISH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Waits {@code time} of publishing, and until every notification sent so far is accepted. */
        void awaitAccepted(Duration time) throws InterruptedException {
            Thread.sleep(time.toMillis()); // the load's duration, not a synchronisation: what follows awaits
            List<String> sentSoFar = List.copyOf(pending);
            await("the notifications sent so far accepted").atMost(Duration.ofSeconds(60))
                    .failFast("a publish failed", () -> assertThat(failures.stream().map(Throwable::toString).toList(), empty()))
                    .until(() -> sentSoFar.stream().noneMatch(pending::contains));
        }

        /** Stops publishing, waits for what is in flight; what was accepted, in the order it was. */
        List<String> stop() throws InterruptedException {
            clock.shutdownNow();
            assertThat("the clock stopped", clock.awaitTermination(10, TimeUnit.SECONDS), equalTo(true));
            attempts.shutdown();
            assertThat("every attempt ended", attempts.awaitTermination(70, TimeUnit.SECONDS), equalTo(true));
            assertThat(failures.stream().map(Throwable::toString).toList(), empty());
            assertThat("every notification sent was accepted", accepted.size(), equalTo(sent));
            return List.copyOf(accepted);
        }

        @Override
        public void close() {
            clock.shutdownNow();
            attempts.shutdownNow();
        }

        int retried() {
            return retried.get();
        }

        void publishUntilAccepted(String message) throws InterruptedException {
            String key = UUID.randomUUID().toString();
            long backoff = 100;
            long giveUpAt = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < giveUpAt) {
                HttpResponse<String> response = send(message, key);
                int status = response == null ? 0 : response.statusCode();
                if (status == 202) {
                    return;
                }
                // What a replica that is stopping or gone gets behind nginx: 502 (refused or cut), 503, or no answer.
                assertThat(message + ": " + (response == null ? "no answer" : status + " " + response.body()),
                        status == 0 || status == 429 || status == 502 || status == 503 || status == 504, equalTo(true));
                retried.incrementAndGet();
                Thread.sleep(status == 429 ? 1000 : backoff); // a retrying client's pause, not a synchronisation
                backoff = Math.min(backoff * 2, 1000);
            }
            throw new AssertionError(message + " was never accepted");
        }

        private HttpResponse<String> send(String message, String key) throws InterruptedException {
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + ServiceProcess.API_KEY)
                    .header(IdempotencyKey.HEADER, key)
                    .timeout(Duration.ofSeconds(40)) // longer than any publish may take (16 s)
                    .POST(HttpRequest.BodyPublishers.ofString(Json.object("message", message)))
                    .build();
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                return null;
            }
        }
    }
}
