package org.acme.notifications.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.acme.notifications.testsupport.Metrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * The inbox scenario of the load tool: fills users' inboxes straight through the Kafka topic, as fast as a producer
 * can, and measures how fast the service stores them (its {@code notifications_inbox_stored_total}, scraped); then
 * reads {@code GET /api/inbox} (a first page and the next one) for random users, with a few requests in flight, and
 * measures p50 / p99. Every page read checks that the user's unread count is what was sent to them, so nothing is
 * lost or stored twice. Run through {@code src/test/scripts/bench.sh inbox}.
 */
public final class InboxLoad {

    static final String USAGE = """
            usage: InboxLoad --url http://127.0.0.1:8080 --bootstrap-servers HOST:PORT --token-key private.pem
                             [--token-issuer bench-tokens] [--topic notifications] [--users 10000] [--stored 1000000]
                             [--reads 20000] [--warmup-reads 2000] [--in-flight 4] [--limit 20]""";

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long MAX_MICROS = TIMEOUT.toNanos() / 1000;

    private final URI url;
    private final int users;
    private final int stored;
    private final int limit;
    private final Map<String, String> options;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final ObjectMapper json = new ObjectMapper();

    private InboxLoad(Map<String, String> options) {
        this.options = options;
        this.url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
        this.users = Integer.parseInt(options.getOrDefault("users", "10000"));
        this.stored = Integer.parseInt(options.getOrDefault("stored", "1000000"));
        this.limit = Integer.parseInt(options.getOrDefault("limit", "20"));
        if (stored % users != 0) {
            throw new IllegalArgumentException("--stored must be a multiple of --users: each user gets as many");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ToolOptions.parse(args, USAGE);
        boolean exact = new InboxLoad(options).run();
        if (!exact) {
            System.err.println("Some inbox held other counts than what was sent to its user");
            System.exit(1);
        }
    }

    private boolean run() throws Exception {
        report.put("scenario", "inbox");
        report.put("users", users);
        report.put("stored", stored);
        double before = settledStoredCount();
        fill(before);
        boolean exact = read();
        System.out.println();
        report.forEach((name, value) -> System.out.printf("  %-28s %s%n", name, value));
        System.out.println(json.writeValueAsString(report));
        return exact;
    }

    /**
     * Produces {@code stored} notifications, user by user in turn, and samples the service's stored count every 100 ms
     * until all are stored: the rate is over the time it was storing (first sample that grew to the last one).
     */
    private void fill(double before) throws Exception {
        String topic = options.getOrDefault("topic", "notifications");
        AtomicReference<Exception> failed = new AtomicReference<>();
        long produceStart = System.nanoTime();
        Thread producing = new Thread(() -> {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("bootstrap-servers"),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.LINGER_MS_CONFIG, "5",
                    ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024)), new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < stored; i++) {
                    String user = user(i % users);
                    String value = new JsonObject().put("message", "Order " + i + " has shipped").put("user", user)
                            .put("title", "Shipping").put("link", "/orders/" + i).encode();
                    producer.send(new ProducerRecord<>(topic, "user:" + user, value), (metadata, failure) -> {
                        if (failure != null) {
                            failed.compareAndSet(null, failure);
                        }
                    });
                }
                producer.flush();
            }
            report.put("produce_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produceStart));
        }, "inbox-producer");
        producing.start();

        double firstGrown = -1;
        long firstGrownAt = 0;
        double last = before;
        long lastAt = System.nanoTime();
        long quietSince = System.nanoTime();
        while (last - before < stored) {
            Thread.sleep(100);
            if (failed.get() != null) {
                throw new IllegalStateException("Producing failed", failed.get());
            }
            double now = storedSoFar();
            long at = System.nanoTime();
            if (now > last) {
                quietSince = at;
                if (firstGrown < 0) {
                    firstGrown = last;
                    firstGrownAt = lastAt;
                }
            } else if (at - quietSince > TimeUnit.SECONDS.toNanos(30)) {
                throw new IllegalStateException("Nothing stored for 30 s: " + (long) (last - before) + " of " + stored);
            }
            last = now;
            lastAt = at;
        }
        producing.join();
        double seconds = (lastAt - firstGrownAt) / 1e9;
        report.put("store_ms", Math.round(seconds * 1000));
        report.put("stored_per_s", Math.round((last - firstGrown) / seconds));
    }

    /** Reads first and next pages with tokens of random users; returns whether every count matched. */
    private boolean read() throws Exception {
        int inFlight = Integer.parseInt(options.getOrDefault("in-flight", "4"));
        int warmupReads = Integer.parseInt(options.getOrDefault("warmup-reads", "2000"));
        int reads = Integer.parseInt(options.getOrDefault("reads", "20000"));
        TokenSigner signer = new TokenSigner(Path.of(options.get("token-key")), options.getOrDefault("token-issuer", "bench-tokens"));
        List<String> tokens = IntStream.range(0, users).parallel().mapToObj(i -> signer.token(user(i))).toList();
        long perUser = stored / users;
        AtomicLong mismatched = new AtomicLong();
        ExecutorService readers = Executors.newFixedThreadPool(inFlight);
        try {
            readAll(readers, inFlight, warmupReads, tokens, perUser, mismatched, histogram(), histogram());
            Histogram first = histogram();
            Histogram next = histogram();
            long start = System.nanoTime();
            readAll(readers, inFlight, reads, tokens, perUser, mismatched, first, next);
            report.put("reads_per_s", Math.round(2.0 * reads / ((System.nanoTime() - start) / 1e9)));
            percentiles("read_first_page", first);
            percentiles("read_next_page", next);
        } finally {
            readers.shutdownNow();
        }
        report.put("count_mismatches", mismatched.get());
        return mismatched.get() == 0;
    }

    private void readAll(ExecutorService readers, int inFlight, int reads, List<String> tokens, long perUser,
                         AtomicLong mismatched, Histogram first, Histogram next) throws Exception {
        AtomicLong left = new AtomicLong(reads);
        List<Future<?>> running = new ArrayList<>();
        List<Histogram> firsts = new ArrayList<>();
        List<Histogram> nexts = new ArrayList<>();
        for (int r = 0; r < inFlight; r++) {
            Histogram myFirst = histogram();
            Histogram myNext = histogram();
            firsts.add(myFirst);
            nexts.add(myNext);
            running.add(readers.submit(() -> {
                while (left.getAndDecrement() > 0) {
                    String token = tokens.get(ThreadLocalRandom.current().nextInt(tokens.size()));
                    JsonNode page = page(token, null, myFirst);
                    if (page.get("unread").asLong() != perUser || page.get("items").size() != Math.min(limit, perUser)) {
                        mismatched.incrementAndGet();
                    }
                    if (!page.get("next").isNull()) {
                        page(token, page.get("next").asText(), myNext);
                    }
                }
                return null;
            }));
        }
        for (Future<?> reader : running) {
            reader.get();
        }
        firsts.forEach(first::add);
        nexts.forEach(next::add);
    }

    private JsonNode page(String token, String before, Histogram latencies) throws Exception {
        String query = "?limit=" + limit + (before == null ? "" : "&before=" + URLEncoder.encode(before, StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(url.resolve("/api/inbox" + query)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).build();
        long sent = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        latencies.recordValue(Math.min(MAX_MICROS, TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent)));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /api/inbox answered " + response.statusCode() + ": " + response.body());
        }
        return json.readTree(response.body());
    }

    private void percentiles(String name, Histogram micros) {
        report.put(name + "_p50_ms", micros.getValueAtPercentile(50) / 1000.0);
        report.put(name + "_p99_ms", micros.getValueAtPercentile(99) / 1000.0);
        report.put(name + "_max_ms", micros.getMaxValue() / 1000.0);
    }

    /** The stored count once it has stopped moving for a second: what an earlier run left for the writer is done. */
    private double settledStoredCount() throws InterruptedException {
        double last = storedSoFar();
        while (true) {
            Thread.sleep(1000);
            double now = storedSoFar();
            if (now == last) {
                return now;
            }
            last = now;
        }
    }

    private static Histogram histogram() {
        return new Histogram(MAX_MICROS, 3);
    }

    private double storedSoFar() {
        return Metrics.scrape(url).getOrDefault("notifications_inbox_stored_total", 0.0);
    }

    private static String user(int i) {
        return "inbox-user-" + i;
    }
}
