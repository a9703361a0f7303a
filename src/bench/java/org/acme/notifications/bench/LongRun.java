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
import java.util.function.ToLongFunction;

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

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte EVERYONE = 0;
    private static final byte CHANNEL = 1;
    private static final byte USER = 2;

    /**
     * How much each curve may still grow in the last third of the run (Trend). RSS moves by about 10 MB between
     * samples on the JVM (G1 committing and uncommitting regions), so its floor lets a leak of up to 16 MB a third
     * (about 50 MB an hour) pass; the heap after a full collection is the exact curve, to 4 MB a third.
     */
    static final Map<String, Trend> CURVES = new LinkedHashMap<>();

    static {
        CURVES.put("rss_mb", new Trend("RSS (MB)", 16, 0.03));
        CURVES.put("heap_after_gc_mb", new Trend("heap after a full collection (MB)", 4, 0.03));
        CURVES.put("direct_mb", new Trend("direct memory (MB)", 4, 0.05));
        CURVES.put("open_files", new Trend("open files", 30, 0.03));
        CURVES.put("threads", new Trend("threads", 4, 0.05));
        CURVES.put("loop_lag_p99_ms", new Trend("event-loop lag p99 (ms)", 5, 0.5));
    }

    private final URI url;
    private final ServerProcess server;
    private final String apiKey;
    private final Path tokenKey;
    private final String tokenIssuer;
    private final long durationNanos;
    private final long warmupS;
    private final long intervalNanos;
    private final int clients;
    private final int userSockets;
    private final int channelCount;
    private final int users;
    private final double rate;
    private final double reconnectsPerS;
    private final double movesPerS;
    private final Path samplesFile;
    private final String runId = Long.toHexString(System.nanoTime() & 0xffffffL);
    private final List<LongRunSubscriber> subscribers = new ArrayList<>();
    // What was published, by sequence number: for whom, when it was sent, whether it was accepted.
    private final byte[] kinds;
    private final int[] targets;
    private final long[] offsets;
    private final BitSet accepted = new BitSet();
    private final AtomicInteger published = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private volatile String firstRefusal;
    private volatile boolean tableFull;
    /** The first exception of a scheduled task: the executor would otherwise stop running it without a word. */
    private volatile Throwable taskFailure;
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong moves = new AtomicLong();
    private final List<Map<String, Double>> samples = new ArrayList<>();

    private LongRun(Map<String, String> options) {
        this.url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
        this.server = new ServerProcess(required(options, "server-pid"));
        this.apiKey = required(options, "api-key");
        this.tokenKey = Path.of(required(options, "token-key"));
        this.tokenIssuer = options.getOrDefault("token-issuer", "bench-tokens");
        long durationS = Long.parseLong(options.getOrDefault("duration-s", "3600"));
        this.durationNanos = TimeUnit.SECONDS.toNanos(durationS);
        this.warmupS = Long.parseLong(options.getOrDefault("warmup-s", String.valueOf(durationS / 6)));
        this.intervalNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(options.getOrDefault("interval-s", "60")));
        this.clients = Integer.parseInt(options.getOrDefault("clients", "1000"));
        this.userSockets = Integer.parseInt(options.getOrDefault("user-sockets", "400"));
        this.channelCount = Integer.parseInt(options.getOrDefault("channels", "20"));
        this.users = Integer.parseInt(options.getOrDefault("users", "200"));
        this.rate = Double.parseDouble(options.getOrDefault("rate", "20"));
        this.reconnectsPerS = Double.parseDouble(options.getOrDefault("reconnects-per-s", "10"));
        this.movesPerS = Double.parseDouble(options.getOrDefault("moves-per-s", "10"));
        this.samplesFile = Path.of(options.getOrDefault("samples-file", "target/bench/long-run.jsonl"));
        int capacity = (int) (rate * durationS * 1.1) + 1000;
        this.kinds = new byte[capacity];
        this.targets = new int[capacity];
        this.offsets = new long[capacity];
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
        Files.createDirectories(samplesFile.toAbsolutePath().getParent());
        Files.writeString(samplesFile, "");
        ScheduledExecutorService load = Executors.newScheduledThreadPool(1);
        long start = System.nanoTime();
        try (Publisher publisher = Publisher.rest(publisherVertx, url, apiKey, 64, false)) {
            every(load, rate, () -> publish(publisher));
            every(load, reconnectsPerS, () -> onARandomSubscriber(LongRunSubscriber::reconnect, reconnects));
            every(load, movesPerS, () -> onARandomSubscriber(subscriber -> subscriber.move(channel(random(channelCount))), moves));
            Map<String, Double> before = Metrics.scrape(url);
            printHeader();
            for (long next = start + intervalNanos; taskFailure == null; next += intervalNanos) {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
                before = sample(start, before);
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
        if (taskFailure != null) {
            throw new IllegalStateException("A task of the run failed", taskFailure);
        }
        // A socket waiting to reconnect at the end would be blamed for what it has not caught up with yet.
        await("every socket open again", () -> subscribers.stream().allMatch(LongRunSubscriber::isOpen), Duration.ofSeconds(60));
        boolean delivered = verifyDeliveries(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        boolean levelled = checkTrends();
        subscribers.forEach(LongRunSubscriber::close);
        return delivered && levelled;
    }

    /** Opens the sockets (every second one on each event loop), some of them with a user's token, each on two channels. */
    private void connect(Vertx vertx) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients * 2));
        TokenSigner tokens = new TokenSigner(tokenKey, tokenIssuer);
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
            tableFull = true; // the run outlasted its rate: reported, and the counts then fall short
            return;
        }
        int mix = seq % 4;
        byte kind = mix == 0 ? EVERYONE : mix == 3 ? USER : CHANNEL;
        int target = kind == CHANNEL ? random(channelCount) : kind == USER ? random(users) : 0;
        kinds[seq] = kind;
        targets[seq] = target;
        published.set(seq + 1);
        inFlight.incrementAndGet();
        publisher.publish(message(runId, String.valueOf(seq)), kind == CHANNEL ? channel(target) : null, kind == USER ? user(target) : null)
                .thenAccept(outcome -> {
                    if (outcome.accepted()) {
                        synchronized (accepted) {
                            offsets[seq] = outcome.id().startsWith("0-") ? Long.parseLong(outcome.id().substring(2)) : -1;
                            accepted.set(seq);
                        }
                    } else {
                        refused.incrementAndGet();
                        if (firstRefusal == null) {
                            firstRefusal = outcome.refusal();
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

    private void every(ScheduledExecutorService executor, double perSecond, Runnable task) {
        if (perSecond > 0) {
            executor.scheduleAtFixedRate(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    if (taskFailure == null) {
                        taskFailure = e;
                    }
                    throw e;
                }
            }, 0, (long) (1e9 / perSecond), TimeUnit.NANOSECONDS);
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
     * the memory it leaves. Returns the metrics the next sample's lag starts from: those read after the collection, so
     * that the pause the tool itself forces is not counted as the service's lag.
     */
    private Map<String, Double> sample(long start, Map<String, Double> before) throws IOException, InterruptedException {
        Map<String, Double> now = Metrics.scrape(url);
        Double lagP99 = ServerStages.percentileMillis(before, now, "notifications_event_loop_lag_seconds", "", 99);
        // The top of the bucket the interval's longest lag fell in (Micrometer's own _max spans minutes, not the interval).
        Double lagMax = ServerStages.percentileMillis(before, now, "notifications_event_loop_lag_seconds", "", 100);
        server.collectGarbage();
        Map<String, Double> collected = Metrics.scrape(url);
        Map<String, Double> sample = new LinkedHashMap<>();
        sample.put("t_s", (double) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        sample.put("rss_mb", server.rssKb() / 1024.0);
        sample.put("heap_after_gc_mb", metric(collected, "jvm_memory_used_bytes{", "area=\"heap\"") / (1 << 20));
        sample.put("direct_mb", (metric(collected, "jvm_buffer_memory_used_bytes{", "id=\"direct\"")
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
        Files.writeString(samplesFile, JSON.writeValueAsString(sample) + "\n", StandardOpenOption.APPEND);
        return collected;
    }

    /**
     * Every accepted notification reached every socket it was for (after its first delivery; for a channel, between
     * the offsets the server said it was subscribed), once and in order, no socket got one that was not for it, and
     * nothing was refused, closed or answered with an error. The run also did what it was asked: at least 90% of the
     * publishes, reconnects and moves its rates ask for in {@code elapsedS}.
     */
    private boolean verifyDeliveries(long elapsedS) throws InterruptedException {
        awaitSettled();
        long expected = 0;
        long lost = 0;
        String firstLost = null;
        int count = published.get();
        int otherPartition = 0;
        for (int seq = 0; seq < count; seq++) {
            if (!isAccepted(seq)) {
                continue;
            }
            if (offsets[seq] < 0) {
                otherPartition++;
                continue;
            }
            String channel = kinds[seq] == CHANNEL ? channel(targets[seq]) : null;
            String user = kinds[seq] == USER ? user(targets[seq]) : null;
            for (int i = 0; i < subscribers.size(); i++) {
                LongRunSubscriber subscriber = subscribers.get(i);
                if (subscriber.expects(offsets[seq], channel, user)) {
                    expected++;
                    if (!subscriber.received(seq)) {
                        lost++;
                        if (firstLost == null) {
                            firstLost = "#" + seq + " at 0-" + offsets[seq] + " (" + (channel != null ? "channel " + channel
                                    : user != null ? "user " + user : "everyone") + ") on socket " + i;
                        }
                    }
                }
            }
        }
        Map<String, Integer> controls = new TreeMap<>();
        Map<Integer, Integer> closes = new TreeMap<>();
        subscribers.forEach(subscriber -> {
            subscriber.controls().forEach((type, n) -> controls.merge(type, n, Integer::sum));
            subscriber.closes().forEach((code, n) -> closes.merge(code, n, Integer::sum));
        });
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("scenario", "long");
        report.put("clients", subscribers.size());
        report.put("published", count);
        report.put("accepted", acceptedCount());
        report.put("refused", refused.get());
        report.put("first_refusal", firstRefusal);
        report.put("ids_of_another_partition", otherPartition);
        report.put("reconnects", reconnects.get());
        report.put("moves", moves.get());
        report.put("deliveries_expected", expected);
        report.put("deliveries_received", totalReceived());
        report.put("lost", lost);
        report.put("first_lost", firstLost);
        report.put("duplicated", sum(LongRunSubscriber::duplicates));
        report.put("out_of_order", sum(LongRunSubscriber::outOfOrder));
        report.put("not_for_it", sum(LongRunSubscriber::notForIt));
        report.put("errors", sum(LongRunSubscriber::errors));
        report.put("first_error", subscribers.stream().map(LongRunSubscriber::firstError).filter(e -> e != null).findFirst().orElse(null));
        report.put("control_frames", controls);
        report.put("closed_by_server", closes);
        report.put("upgrades_refused", sum(LongRunSubscriber::refusals));
        report.put("table_full", tableFull);
        System.out.println();
        report.forEach((name, value) -> System.out.printf("  %-24s %s%n", name, value));
        List<String> failures = new ArrayList<>();
        failWhen(failures, lost > 0 || expected == 0, "lost (or nothing expected)");
        failWhen(failures, sum(LongRunSubscriber::duplicates) + sum(LongRunSubscriber::outOfOrder) > 0, "repeated or out of order");
        failWhen(failures, sum(LongRunSubscriber::notForIt) > 0, "delivered to a socket it was not for");
        failWhen(failures, sum(LongRunSubscriber::errors) > 0 || otherPartition > 0, "error frames, gaps, or another partition");
        failWhen(failures, refused.get() > 0 || sum(LongRunSubscriber::refusals) > 0, "publishes or upgrades refused");
        failWhen(failures, !closes.isEmpty(), "sockets closed by the server");
        failWhen(failures, acceptedCount() < 0.9 * rate * elapsedS || reconnects.get() < 0.9 * reconnectsPerS * elapsedS
                || moves.get() < 0.9 * movesPerS * elapsedS, "fewer publishes, reconnects or moves than asked for");
        if (!failures.isEmpty()) {
            System.out.println("FAILED: " + String.join("; ", failures));
        }
        return failures.isEmpty();
    }

    private static void failWhen(List<String> failures, boolean failed, String what) {
        if (failed) {
            failures.add(what);
        }
    }

    private long sum(ToLongFunction<LongRunSubscriber> count) {
        return subscribers.stream().mapToLong(count).sum();
    }

    /** The curves after the warm-up (the replay history and the JIT fill up first) must level off. */
    private boolean checkTrends() {
        List<Map<String, Double>> measured = samples.stream().filter(sample -> sample.get("t_s") >= warmupS).toList();
        if (measured.size() < Trend.MIN_SAMPLES) {
            System.out.println("  trends                   FAILED: " + measured.size() + " samples after a warm-up of " + warmupS
                    + " s, too few to tell (at least " + Trend.MIN_SAMPLES + "): run longer, or sample more often");
            return false;
        }
        List<String> grew = new ArrayList<>();
        for (Map.Entry<String, Trend> curve : CURVES.entrySet()) {
            String verdict = curve.getValue().check(measured.stream().map(sample -> sample.get(curve.getKey())).toList());
            if (verdict != null) {
                grew.add(verdict);
            }
        }
        System.out.println("  trends                   " + (grew.isEmpty()
                ? "levelled off (" + measured.size() + " samples after a warm-up of " + warmupS + " s)" : "FAILED: " + String.join("; ", grew)));
        return grew.isEmpty();
    }

    /** The sum of every series of a metric whose labels include {@code label}. */
    private static double metric(Map<String, Double> metrics, String prefix, String label) {
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
