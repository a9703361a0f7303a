package org.acme.notifications.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import org.acme.notifications.testsupport.Metrics;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The long run: C sockets held for a given time against a steady mix of notifications (for everyone, for a channel,
 * for a user), while sockets reconnect and resume with {@code ?since=}, and move between channels. At every interval
 * it prints what the server holds: RSS, heap after a full collection, direct memory, open files, threads and how late
 * its event loops run. It fails when one of those grows through the run without levelling off ({@link Trend}), or when
 * a socket lost, repeated or reordered a notification, or got one that was not for it. Run through
 * {@code src/test/scripts/bench.sh long}; the options are in {@link #USAGE}.
 */
public final class LongRun {

    static final String USAGE = """
            usage: LongRun --url http://127.0.0.1:8080 --api-key KEY --server-pid PID --token-key private.pem
                           [--token-issuer bench-tokens] [--duration-s 3600] [--warmup-s duration/6] [--interval-s 60]
                           [--clients 1000] [--user-sockets 400] [--users 200] [--channels 20] [--rate 20]
                           [--reconnects-per-s 10] [--moves-per-s 10] [--samples-file target/bench/long-run.jsonl]""";

    private static final long MARGIN_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final byte EVERYONE = 0;
    private static final byte CHANNEL = 1;
    private static final byte USER = 2;

    private final Map<String, String> options;
    private final URI url;
    private final ServerProcess server;
    private final long durationNanos;
    private final int channelCount;
    private final int users;
    private final double rate;
    private final String runId = Long.toHexString(System.nanoTime() & 0xffffffL);
    private final List<LongRunSubscriber> subscribers = new ArrayList<>();
    // What was published, by sequence number: for whom, when it was sent, whether it was accepted.
    private final byte[] kinds;
    private final int[] targets;
    private final long[] sentNanos;
    private final BitSet accepted = new BitSet();
    private final AtomicInteger published = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private volatile String firstRefusal;
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong moves = new AtomicLong();
    private final List<Map<String, Double>> samples = new ArrayList<>();

    private LongRun(Map<String, String> options) {
        this.options = options;
        this.url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
        this.server = new ServerProcess(required(options, "server-pid"));
        this.durationNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(options.getOrDefault("duration-s", "3600")));
        this.channelCount = Integer.parseInt(options.getOrDefault("channels", "20"));
        this.users = Integer.parseInt(options.getOrDefault("users", "200"));
        this.rate = Double.parseDouble(options.getOrDefault("rate", "20"));
        int capacity = (int) (rate * durationNanos / 1e9 * 1.1) + 1000;
        this.kinds = new byte[capacity];
        this.targets = new int[capacity];
        this.sentNanos = new long[capacity];
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ToolOptions.parse(args, USAGE);
        Vertx sockets = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        Vertx publishing = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        boolean passed;
        try {
            passed = new LongRun(options).run(sockets, publishing);
        } finally {
            sockets.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            publishing.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        System.exit(passed ? 0 : 1);
    }

    static String message(String runId, String seq) {
        return "long-run " + runId + " #" + seq;
    }

    private boolean run(Vertx vertx, Vertx publisherVertx) throws Exception {
        connect(vertx);
        Path samplesFile = Path.of(options.getOrDefault("samples-file", "target/bench/long-run.jsonl"));
        Files.createDirectories(samplesFile.toAbsolutePath().getParent());
        Files.writeString(samplesFile, "");
        long intervalNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(options.getOrDefault("interval-s", "60")));
        ScheduledExecutorService load = Executors.newScheduledThreadPool(1);
        long start = System.nanoTime();
        try (Publisher publisher = Publisher.rest(publisherVertx, url, required(options, "api-key"), 64, false)) {
            every(load, rate, () -> publish(publisher));
            every(load, Double.parseDouble(options.getOrDefault("reconnects-per-s", "10")),
                    () -> onARandomSubscriber(LongRunSubscriber::reconnect, reconnects));
            every(load, Double.parseDouble(options.getOrDefault("moves-per-s", "10")),
                    () -> onARandomSubscriber(subscriber -> subscriber.move(channel(random(channelCount))), moves));
            Map<String, Double> before = Metrics.scrape(url);
            printHeader();
            for (long next = start + intervalNanos; ; next += intervalNanos) {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
                before = sample(start, before, samplesFile);
                if (next - start >= durationNanos) {
                    break;
                }
            }
            load.shutdown();
            load.awaitTermination(10, TimeUnit.SECONDS);
            await("publishes answered", () -> inFlight.get() == 0, Duration.ofSeconds(30));
        } finally {
            load.shutdownNow();
        }
        boolean delivered = verifyDeliveries();
        boolean levelled = checkTrends(start);
        subscribers.forEach(LongRunSubscriber::close);
        return delivered && levelled;
    }

    /** Opens the sockets (every second one on each event loop), some of them with a user's token, each on two channels. */
    private void connect(Vertx vertx) throws Exception {
        int clients = Integer.parseInt(options.getOrDefault("clients", "1000"));
        int userSockets = Integer.parseInt(options.getOrDefault("user-sockets", "400"));
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients * 2));
        TokenSigner tokens = new TokenSigner(Path.of(required(options, "token-key")), options.getOrDefault("token-issuer", "bench-tokens"));
        // Tokens outlive the run: an expired one would close its socket (4001), which is not what this run measures.
        Duration tokenLife = Duration.ofNanos(durationNanos).plusHours(1);
        for (int i = 0; i < clients; i++) {
            String user = i < userSockets ? user(i % users) : null;
            Set<String> channels = new TreeSet<>();
            while (channels.size() < Math.min(2, channelCount)) {
                channels.add(channel(random(channelCount)));
            }
            LongRunSubscriber subscriber = new LongRunSubscriber(vertx.getOrCreateContext(), client, url, runId, user,
                    user == null ? null : tokens.token(user, tokenLife), channels);
            subscribers.add(subscriber);
            subscriber.start();
        }
        await(clients + " sockets open", () -> subscribers.stream().allMatch(LongRunSubscriber::isOpen), Duration.ofSeconds(120));
    }

    /** One notification: a quarter for everyone, half for one of the channels, a quarter for one of the users. */
    private void publish(Publisher publisher) {
        int seq = published.get();
        if (seq == kinds.length) {
            return; // the table is full: the run has outlasted its rate
        }
        int mix = seq % 4;
        byte kind = mix == 0 ? EVERYONE : mix == 3 ? USER : CHANNEL;
        int target = kind == CHANNEL ? random(channelCount) : kind == USER ? random(users) : 0;
        kinds[seq] = kind;
        targets[seq] = target;
        sentNanos[seq] = System.nanoTime();
        published.set(seq + 1);
        inFlight.incrementAndGet();
        publisher.publish(message(runId, String.valueOf(seq)), kind == CHANNEL ? channel(target) : null, kind == USER ? user(target) : null)
                .whenComplete((refusal, failure) -> {
                    String problem = failure != null ? failure.toString() : refusal;
                    if (problem == null) {
                        synchronized (accepted) {
                            accepted.set(seq);
                        }
                    } else {
                        refused.incrementAndGet();
                        if (firstRefusal == null) {
                            firstRefusal = problem;
                        }
                    }
                    inFlight.decrementAndGet();
                });
    }

    /** Tries a few random subscribers until one does it (one whose socket is open), and counts it. */
    private void onARandomSubscriber(Predicate<LongRunSubscriber> action, AtomicLong done) {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (action.test(subscribers.get(random(subscribers.size())))) {
                done.incrementAndGet();
                return;
            }
        }
    }

    private static void every(ScheduledExecutorService executor, double perSecond, Runnable task) {
        if (perSecond > 0) {
            executor.scheduleAtFixedRate(task, 0, (long) (1e9 / perSecond), TimeUnit.NANOSECONDS);
        }
    }

    private static final String HEADER = "%7s %8s %9s %9s %7s %8s %11s %11s %8s %9s %10s %7s%n";
    private static final String ROW = "%7.0f %8.1f %9.1f %9.1f %7.0f %8.0f %11.1f %11.1f %8.0f %9.0f %10.0f %7.0f%n";

    private void printHeader() {
        System.out.printf(HEADER, "t_s", "rss_mb", "heap_mb", "direct_mb", "files", "threads", "lag_p99_ms", "lag_max_ms",
                "sockets", "accepted", "reconnects", "moves");
    }

    /**
     * One sample: the event loops' lag since the last one (from the server's histogram), then a full collection and
     * the memory it leaves. Returns the metrics the next sample's lag starts from.
     */
    private Map<String, Double> sample(long start, Map<String, Double> before, Path samplesFile) throws IOException, InterruptedException {
        Map<String, Double> now = Metrics.scrape(url);
        Double lagP99 = ServerStages.percentileMillis(before, now, "notifications_event_loop_lag_seconds", "", 99);
        // The top of the bucket the interval's longest lag fell in (Micrometer's own _max spans minutes, not the interval).
        Double lagMax = ServerStages.percentileMillis(before, now, "notifications_event_loop_lag_seconds", "", 100);
        server.collectGarbage();
        Map<String, Double> collected = Metrics.scrape(url);
        Map<String, Double> sample = new LinkedHashMap<>();
        sample.put("t_s", (double) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        sample.put("rss_mb", server.rssKb() / 1024.0);
        sample.put("heap_after_gc_mb", sum(collected, "jvm_memory_used_bytes{", "area=\"heap\"") / (1 << 20));
        sample.put("direct_mb", (sum(collected, "jvm_buffer_memory_used_bytes{", "id=\"direct\"")
                + collected.getOrDefault("notifications_netty_direct_memory_bytes", 0.0)) / (1 << 20));
        sample.put("open_files", (double) server.openFiles());
        sample.put("threads", (double) server.threads());
        sample.put("loop_lag_p99_ms", lagP99 == null ? 0 : lagP99);
        sample.put("loop_lag_max_ms", lagMax == null ? 0 : lagMax);
        sample.put("sockets", now.getOrDefault("notifications_connections", 0.0));
        sample.put("accepted", (double) acceptedCount());
        sample.put("reconnects", (double) reconnects.get());
        sample.put("moves", (double) moves.get());
        samples.add(sample);
        System.out.printf(ROW, sample.values().toArray());
        Files.writeString(samplesFile, new ObjectMapper().writeValueAsString(sample) + "\n", StandardOpenOption.APPEND);
        return now;
    }

    /**
     * Every accepted notification reached every socket it was for (sent a second after the socket first opened; for a
     * channel, while it was subscribed), once and in order, and no socket got one that was not for it.
     */
    private boolean verifyDeliveries() throws InterruptedException {
        awaitSettled();
        long expected = 0;
        long lost = 0;
        String firstLost = null;
        int count = published.get();
        for (int seq = 0; seq < count; seq++) {
            if (!isAccepted(seq)) {
                continue;
            }
            String channel = kinds[seq] == CHANNEL ? channel(targets[seq]) : null;
            String user = kinds[seq] == USER ? user(targets[seq]) : null;
            for (int i = 0; i < subscribers.size(); i++) {
                LongRunSubscriber subscriber = subscribers.get(i);
                if (subscriber.expects(sentNanos[seq], channel, user, MARGIN_NANOS)) {
                    expected++;
                    if (!subscriber.received(seq)) {
                        lost++;
                        if (firstLost == null) {
                            firstLost = "#" + seq + " (" + (channel != null ? "channel " + channel : user != null ? "user " + user : "everyone") + ") on socket " + i;
                        }
                    }
                }
            }
        }
        long duplicates = subscribers.stream().mapToLong(LongRunSubscriber::duplicates).sum();
        long outOfOrder = subscribers.stream().mapToLong(LongRunSubscriber::outOfOrder).sum();
        long notForIt = subscribers.stream().mapToLong(LongRunSubscriber::notForIt).sum();
        Map<String, Integer> controls = new TreeMap<>();
        Map<Integer, Integer> drops = new TreeMap<>();
        subscribers.forEach(subscriber -> {
            subscriber.controls().forEach((type, n) -> controls.merge(type, n, Integer::sum));
            subscriber.drops().forEach((code, n) -> drops.merge(code, n, Integer::sum));
        });
        String firstError = subscribers.stream().map(LongRunSubscriber::firstError).filter(e -> e != null).findFirst().orElse(null);
        int gaps = controls.getOrDefault("history-gap", 0) + controls.getOrDefault("unknown-id", 0);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("scenario", "long");
        report.put("clients", subscribers.size());
        report.put("published", count);
        report.put("accepted", acceptedCount());
        report.put("refused", refused.get());
        report.put("first_refusal", firstRefusal);
        report.put("reconnects", reconnects.get());
        report.put("moves", moves.get());
        report.put("deliveries_expected", expected);
        report.put("deliveries_received", totalReceived());
        report.put("lost", lost);
        report.put("first_lost", firstLost);
        report.put("duplicated", duplicates);
        report.put("out_of_order", outOfOrder);
        report.put("not_for_it", notForIt);
        report.put("control_frames", controls);
        report.put("closed_by_server", drops);
        report.put("upgrades_refused", subscribers.stream().mapToLong(LongRunSubscriber::refusals).sum());
        report.put("first_error_frame", firstError);
        System.out.println();
        report.forEach((name, value) -> System.out.printf("  %-22s %s%n", name, value));
        boolean passed = acceptedCount() > 0 && expected > 0 && lost == 0 && duplicates == 0 && outOfOrder == 0
                && notForIt == 0 && gaps == 0 && firstError == null;
        if (!passed) {
            System.out.println("FAILED: deliveries were lost, repeated, reordered, not for their socket, or refused");
        }
        return passed;
    }

    /** The curves after the warm-up (the replay history and the JIT fill up first) must level off. */
    private boolean checkTrends(long start) {
        long warmupS = Long.parseLong(options.getOrDefault("warmup-s", String.valueOf(TimeUnit.NANOSECONDS.toSeconds(durationNanos) / 6)));
        List<Map<String, Double>> measured = samples.stream().filter(sample -> sample.get("t_s") >= warmupS).toList();
        List<String> grew = new ArrayList<>();
        Map<String, Trend> curves = new LinkedHashMap<>();
        curves.put("rss_mb", new Trend("RSS (MB)", 16, 0.03));
        curves.put("heap_after_gc_mb", new Trend("heap after a full collection (MB)", 4, 0.03));
        curves.put("direct_mb", new Trend("direct memory (MB)", 4, 0.05));
        curves.put("open_files", new Trend("open files", 30, 0.03));
        curves.put("threads", new Trend("threads", 4, 0.05));
        curves.put("loop_lag_p99_ms", new Trend("event-loop lag p99 (ms)", 5, 0.5));
        for (Map.Entry<String, Trend> curve : curves.entrySet()) {
            String verdict = curve.getValue().check(measured.stream().map(sample -> sample.get(curve.getKey())).toList());
            if (verdict != null) {
                grew.add(verdict);
            }
        }
        System.out.println("  trends                 " + (grew.isEmpty()
                ? "levelled off (" + measured.size() + " samples after a warm-up of " + warmupS + " s)" : String.join("; ", grew)));
        if (measured.size() < 6) {
            System.out.println("  (too few samples after the warm-up to judge a trend: run longer, or sample more often)");
        }
        return grew.isEmpty();
    }

    private static double sum(Map<String, Double> metrics, String prefix, String label) {
        return metrics.entrySet().stream().filter(sample -> sample.getKey().startsWith(prefix) && sample.getKey().contains(label))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    /** Until nothing more has arrived for 5 s: the last notifications are on their way when publishing stops. */
    private void awaitSettled() throws InterruptedException {
        long count = -1;
        long changedAt = System.nanoTime();
        while (System.nanoTime() - changedAt < TimeUnit.SECONDS.toNanos(5)) {
            long now = totalReceived();
            if (now != count) {
                count = now;
                changedAt = System.nanoTime();
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    private long totalReceived() {
        return subscribers.stream().mapToLong(LongRunSubscriber::receivedCount).sum();
    }

    private boolean isAccepted(int seq) {
        synchronized (accepted) {
            return accepted.get(seq);
        }
    }

    private long acceptedCount() {
        synchronized (accepted) {
            return accepted.cardinality();
        }
    }

    private static void await(String what, BooleanSupplier condition, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Not within " + atMost + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            System.err.println("--" + name + " is required\n" + USAGE);
            System.exit(2);
        }
        return value;
    }

    private static int random(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    private static String channel(int i) {
        return "long-" + i;
    }

    private static String user(int i) {
        return "long-user-" + i;
    }
}
