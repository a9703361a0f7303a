package org.acme.notifications.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import org.HdrHistogram.Histogram;
import org.acme.notifications.testsupport.Metrics;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The load tool: opens C sockets to /ws/notifications, publishes N notifications at R per second
 * (0: as fast as a bounded number of requests in flight allows) through POST /api/notifications or
 * straight into the Kafka topic, and reports what every socket received and how fast. Each message
 * carries its sequence number and send time, so latency is end to end: publish, Kafka, consumer,
 * broadcast, socket. Run through {@code src/test/scripts/bench.sh}, which starts a broker and the
 * service; the options are listed in {@link #USAGE}.
 */
public final class LoadTool {

    static final String USAGE = """
            usage: LoadTool [--url http://127.0.0.1:8080] [--clients C] [--notifications N] [--rate R]
                            [--via rest|kafka] [--bootstrap-servers HOST:PORT] [--topic notifications]
                            [--api-key KEY] [--server-pid PID[,PID...]] [--in-flight 64] [--stalled-clients 0] [--warmup 200]
                            [--padding 0] [--target everyone|user --token-key private.pem --token-issuer ISSUER]
                            [--launch "java -jar ..."] [--quiet-timeout-s 15] [--scenario NAME] [--peer nchan] [--stages true]
                            [--transport websocket|sse]
                            [--full-gc true [--histogram-file target/bench/heap-per-socket.txt] [--heap-dump FILE (a JVM's, sockets open)]]
                            [--absent-rate R (notifications/s for users without a socket, into Kafka)]""";

    private final Map<String, String> options;
    private final Vertx publisherVertx;
    private final URI url;
    private final int clients;
    private final int notifications;
    private final double rate;
    private final int inFlight;
    private final int stalledClients;
    private final int warmup;
    private final String padding;
    private final String apiKey;
    // --target user: each socket is its own user (a token each), and each notification is for one of them.
    private final boolean perUser;
    // --peer NAME: another server (nchan): its frames carry no id to check order by, and any 2xx accepts.
    private final boolean peer;
    // --stages true: where the time goes, stage by stage (the service's histograms, the frames' record timestamps).
    private final boolean stages;
    // --full-gc true: the server's memory is read after a full collection (a JVM's jcmd, a native executable's heap
    // dump), so it is what it keeps, not garbage.
    private final boolean fullGc;
    // --transport sse: the subscribers read GET /sse/notifications instead of the socket.
    private final boolean eventStreams;
    // --server-pid: the server's CPU and memory are read from /proc (and jcmd, or heap dumps).
    private final ServerProcess server;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, Object> report = new LinkedHashMap<>();

    private LoadTool(Map<String, String> options, Vertx publisherVertx) {
        this.options = options;
        this.publisherVertx = publisherVertx;
        this.url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
        this.clients = Integer.parseInt(options.getOrDefault("clients", "1000"));
        this.notifications = Integer.parseInt(options.getOrDefault("notifications", "200"));
        this.rate = Double.parseDouble(options.getOrDefault("rate", "50"));
        this.inFlight = Integer.parseInt(options.getOrDefault("in-flight", "64"));
        this.stalledClients = Integer.parseInt(options.getOrDefault("stalled-clients", "0"));
        this.warmup = Integer.parseInt(options.getOrDefault("warmup", "200"));
        int paddingChars = Integer.parseInt(options.getOrDefault("padding", "0")); // larger frames, e.g. to fill a stalled socket
        this.padding = paddingChars == 0 ? "" : " " + "~".repeat(paddingChars);
        this.apiKey = options.get("api-key");
        this.perUser = "user".equals(options.getOrDefault("target", "everyone"));
        this.peer = options.containsKey("peer");
        this.stages = !peer && Boolean.parseBoolean(options.getOrDefault("stages", "false"));
        this.fullGc = !peer && Boolean.parseBoolean(options.getOrDefault("full-gc", "false"));
        this.eventStreams = "sse".equals(options.getOrDefault("transport", "websocket"));
        this.server = options.containsKey("server-pid") ? new ServerProcess(options.get("server-pid")) : null;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ToolOptions.parse(args, USAGE);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        // Publishing has an event loop of its own: a POST and its answer do not queue behind the sockets' frames, as a
        // publisher on another machine would not (the three loops still share the machine's cores).
        Vertx publisherVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        Process launched = null;
        boolean delivered;
        try {
            if (options.containsKey("launch")) {
                // Start-up: the tool is already running, so the service's start is not slowed by the tool's own.
                options.put("started-at-ms", String.valueOf(System.currentTimeMillis()));
                launched = new ProcessBuilder(options.get("launch").trim().split("\\s+"))
                        .redirectErrorStream(true)
                        .redirectOutput(Path.of(options.getOrDefault("launch-log", "target/bench/service.log")).toFile())
                        .start();
                options.put("server-pid", String.valueOf(launched.pid()));
            }
            delivered = new LoadTool(options, publisherVertx).run(vertx);
        } finally {
            try {
                Future.join(vertx.close(), publisherVertx.close()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } finally {
                if (launched != null) {
                    launched.destroy();
                    launched.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
        if (!delivered) {
            System.err.println("Deliveries were lost, duplicated or out of order");
            System.exit(1);
        }
    }

    /** Returns whether every accepted notification reached every socket it was for, once and in order. */
    private boolean run(Vertx vertx) throws Exception {
        report.put("scenario", options.getOrDefault("scenario", "custom"));
        report.put("server", options.getOrDefault("peer", "service"));
        report.put("via", options.getOrDefault("via", "rest"));
        report.put("transport", eventStreams ? "sse" : "websocket");
        report.put("clients", clients);
        report.put("notifications", notifications);
        report.put("rate_per_s", rate);
        report.put("target", perUser ? "user" : "everyone");
        if (options.containsKey("started-at-ms")) {
            awaitReady(vertx, Long.parseLong(options.get("started-at-ms")));
        }
        Sockets sockets = connect(vertx);
        Publishing publishing = publish(vertx, sockets);
        boolean allDelivered = collect(sockets, publishing);
        reportServer(vertx, sockets);
        print();
        return allDelivered;
    }

    /**
     * The measured sockets, the ones that never read (--stalled-clients), the end-to-end latencies the measured ones
     * record, and (--stages) from each frame's record timestamp to it being parsed.
     */
    private record Sockets(List<BenchClient> measured, List<BenchClient> stalled, Latencies latencies, Latencies sinceRecord) {
    }

    /** What the measured publishing did: accepted notifications, deliveries they should make, and when it started. */
    private record Publishing(long accepted, long expected, long startNanos) {
    }

    /** Connect: opens the sockets (a token each in per-user runs) and measures the server's memory per socket. */
    private Sockets connect(Vertx vertx) throws Exception {
        if (fullGc && server == null) {
            throw new IllegalArgumentException("--full-gc needs the --server-pid of the service");
        }
        if (options.containsKey("heap-dump") && !fullGc) {
            throw new IllegalArgumentException("--heap-dump needs --full-gc true");
        }
        Path jcmd = fullGc ? server.jcmd() : null;
        Map<String, SocketMemory.Row> histogramBefore = fullGc ? classHistogram(jcmd) : null;
        Map<String, Long> nativeBefore = jcmd != null ? nativeMemory(jcmd) : Map.of();
        Long rssBefore = serverRssKb();
        Long heapBefore = fullGc ? serverHeapUsedKb(vertx) : null;
        WebSocketClient socketClient = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(clients + stalledClients + 1).setMaxMessageSize(1 << 20));
        HttpClient streamClient = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(clients + stalledClients + 1));
        Latencies latencies = new Latencies();
        Latencies sinceRecord = stages ? new Latencies() : null;
        // Every 16th socket reads its frames' timestamps: parsing them on every socket slowed the tool down enough
        // to move the figures it measures.
        AtomicInteger opened = new AtomicInteger();
        long connectStart = System.nanoTime();
        List<BenchClient> measured = openSockets(socketClient, streamClient, clients, () -> new BenchClient(runId, warmup, latencies,
                opened.getAndIncrement() % 16 == 0 ? sinceRecord : null, !peer), false);
        if (perUser && measured.size() != clients) {
            throw new IllegalStateException("Per-user delivery needs every socket: " + measured.size() + " of " + clients + " connected");
        }
        report.put("connected", measured.size());
        report.put("connect_ms", millisSince(connectStart));
        List<BenchClient> stalled = openSockets(socketClient, streamClient, stalledClients, () -> new BenchClient(runId, warmup, new Latencies(), null, !peer), true);
        Map<String, SocketMemory.Row> histogramConnected = fullGc ? classHistogram(jcmd) : null;
        Map<String, Long> nativeConnected = jcmd != null ? nativeMemory(jcmd) : Map.of();
        Long rssConnected = serverRssKb();
        int sockets = Math.max(1, measured.size() + stalled.size());
        if (rssBefore != null && rssConnected != null) {
            report.put("server_rss_before_kb", rssBefore);
            report.put("server_rss_connected_kb", rssConnected);
            report.put("kb_per_connection", round((rssConnected - rssBefore) / (double) sockets));
        }
        if (fullGc) {
            report.put("full_gc", jcmd != null ? "jcmd GC.class_histogram" : "heap dump on SIGUSR1");
            Long heapConnected = serverHeapUsedKb(vertx);
            if (heapBefore != null && heapConnected != null) {
                report.put("server_heap_before_kb", heapBefore);
                report.put("server_heap_connected_kb", heapConnected);
                report.put("heap_kb_per_connection", round((heapConnected - heapBefore) / (double) sockets));
            }
            if (options.containsKey("heap-dump")) {
                heapDump(jcmd, Path.of(options.get("heap-dump")).toAbsolutePath());
            }
            Path file = Path.of(options.getOrDefault("histogram-file", "target/bench/heap-per-socket.txt"));
            SocketMemory.printGrowth(histogramBefore, histogramConnected, sockets, 120, file);
            if (!nativeBefore.isEmpty() && !nativeConnected.isEmpty()) {
                SocketMemory.printNativeGrowth(nativeBefore, nativeConnected, sockets, file);
            }
        }
        return new Sockets(measured, stalled, latencies, sinceRecord);
    }

    /** Publish: a warm-up that is delivered but not measured, then the measured notifications, and the server's CPU for them. */
    private Publishing publish(Vertx vertx, Sockets sockets) throws Exception {
        // Each notification goes to every socket, or (per user) to exactly one.
        int recipients = perUser ? 1 : sockets.measured().size();
        double absentRate = Double.parseDouble(options.getOrDefault("absent-rate", "0"));
        AbsentUsers absent = AbsentUsers.start(options.getOrDefault("bootstrap-servers", "127.0.0.1:9092"),
                options.getOrDefault("topic", "notifications"), absentRate);
        // Warm-up (JIT on both sides, connection pools, Kafka metadata) at the measured rate.
        long warmedUp = publishAll(0, warmup, rate, null);
        awaitDeliveries(sockets.measured(), BenchClient::warmupReceived, warmedUp * recipients);
        report.put("warmup", warmup);

        Map<String, Double> metricsBefore = stages ? settledServerMetrics(vertx) : null;
        Latencies acks = new Latencies();
        Long cpuBefore = serverCpuMillis();
        long start = System.nanoTime();
        long accepted = publishAll(warmup, warmup + notifications, rate, acks);
        long duration = System.nanoTime() - start;
        long expected = accepted * recipients;
        awaitDeliveries(sockets.measured(), BenchClient::received, expected);
        Long cpuAfter = serverCpuMillis();
        if (absent != null) {
            report.put("absent_rate_per_s", absentRate);
            report.put("absent_user_notifications", absent.stop());
        }
        if (stages) {
            reportStages(acks, sockets.sinceRecord(), metricsBefore, settledServerMetrics(vertx));
        }
        if (cpuBefore != null && cpuAfter != null && accepted > 0) {
            report.put("server_cpu_ms", cpuAfter - cpuBefore);
            report.put("server_cpu_us_per_notification", round((cpuAfter - cpuBefore) * 1000.0 / accepted));
        }
        report.put("accepted", accepted);
        report.put("publish_per_s", round(accepted / (duration / 1e9)));
        return new Publishing(accepted, expected, start);
    }

    /**
     * Where the time of a delivery goes, p50 and p99 of each stage in ms: the tool's send to its 202 (or Kafka's ack);
     * inside the service (its histograms over the measured phase): accepted to Kafka's ack, record timestamp to the
     * consumer, consumer to every socket written, record timestamp to written; and the record timestamp (in each
     * frame, whole ms) to the frame parsed here (on every 16th socket), on the same clock (one machine).
     */
    private void reportStages(Latencies acks, Latencies sinceRecord, Map<String, Double> before, Map<String, Double> after) {
        reportPercentiles("stage_sent_to_accepted", acks.merged());
        if (!"kafka".equals(options.getOrDefault("via", "rest"))) {
            reportServerStage("stage_server_accepted_to_acked", "notifications_publish_duration_seconds", "source=\"rest\"", before, after);
        }
        reportServerStage("stage_server_record_to_consumer", "notifications_consume_lag_seconds", "", before, after);
        reportServerStage("stage_server_consumer_to_written", "notifications_fanout_duration_seconds", "", before, after);
        reportServerStage("stage_server_record_to_written", "notifications_delivery_latency_seconds", "", before, after);
        reportPercentiles("stage_record_to_parsed", sinceRecord.merged());
    }

    private void reportPercentiles(String stage, Histogram micros) {
        if (micros.getTotalCount() > 0) {
            report.put(stage + "_p50_ms", round(micros.getValueAtPercentile(50) / 1000.0));
            report.put(stage + "_p99_ms", round(micros.getValueAtPercentile(99) / 1000.0));
        }
    }

    private void reportServerStage(String stage, String histogram, String labels, Map<String, Double> before, Map<String, Double> after) {
        for (int percentile : new int[] {50, 99}) {
            Double millis = ServerStages.percentileMillis(before, after, histogram, labels, percentile);
            if (millis != null) {
                report.put(stage + "_p" + percentile + "_ms", round(millis));
            }
        }
    }

    /** Collect: what the sockets received, lost, got twice or out of order, how fast, and the latencies. */
    private boolean collect(Sockets sockets, Publishing publishing) {
        long received = 0;
        long duplicates = 0;
        long outOfOrder = 0;
        long lastDelivery = publishing.startNanos();
        for (BenchClient client : sockets.measured()) {
            received += client.received();
            duplicates += client.duplicates();
            outOfOrder += client.outOfOrder();
            lastDelivery = Math.max(lastDelivery, client.lastDeliveryNanos());
        }
        if (options.containsKey("started-at-ms")) {
            long startedAt = Long.parseLong(options.get("started-at-ms"));
            sockets.measured().stream().mapToLong(BenchClient::firstDeliveryEpochMillis).filter(at -> at > 0).min()
                    .ifPresent(first -> report.put("start_to_first_delivery_ms", first - startedAt));
        }
        report.put("deliveries_expected", publishing.expected());
        report.put("deliveries_received", received);
        report.put("lost", publishing.expected() - received);
        report.put("duplicated", duplicates);
        report.put("out_of_order", outOfOrder);
        report.put("deliveries_per_s", round(received / Math.max(1e-9, (lastDelivery - publishing.startNanos()) / 1e9)));
        Histogram histogram = sockets.latencies().merged();
        for (double percentile : new double[] {50, 90, 99, 99.9}) {
            report.put("latency_p" + (percentile == 99.9 ? "999" : String.valueOf((int) percentile)) + "_ms",
                    round(histogram.getValueAtPercentile(percentile) / 1000.0));
        }
        report.put("latency_max_ms", round(histogram.getMaxValue() / 1000.0));
        report.put("clients_closed_by_server", sockets.measured().stream().filter(client -> client.closeCode() != -1).count());
        return publishing.accepted() > 0 && received == publishing.expected() && duplicates == 0 && outOfOrder == 0;
    }

    /** Report what the server says: slow disconnects of the stalled sockets, its memory at the end. */
    private void reportServer(Vertx vertx, Sockets sockets) throws IOException {
        if (stalledClients > 0) {
            // A paused socket never reads the server's close frame, so ask the server instead.
            report.put("stalled_clients", sockets.stalled().size());
            report.put("server_slow_disconnects", serverMetric(vertx, "notifications_slow_disconnects_total"));
        }
        Long rssEnd = serverRssKb();
        if (rssEnd != null) {
            report.put("server_rss_end_kb", rssEnd);
        }
    }

    /** Start-up: from the process start (epoch ms, given by the script) to ready, and later to the first delivery. */
    private void awaitReady(Vertx vertx, long startedAtMillis) {
        HttpClient http = vertx.createHttpClient();
        while (true) {
            Integer status = http.request(HttpMethod.GET, url.getPort(), url.getHost(), "/q/health/ready")
                    .compose(request -> request.send().map(response -> response.statusCode()))
                    .otherwise(failure -> null)
                    .toCompletionStage().toCompletableFuture().join();
            if (status != null && status == 200) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        report.put("start_to_ready_ms", System.currentTimeMillis() - startedAtMillis);
        http.close();
    }

    /** Opens sockets (or event streams) a few hundred handshakes at a time; stalled clients never read a byte. */
    private List<BenchClient> openSockets(WebSocketClient socketClient, HttpClient streamClient, int count,
                                          Supplier<BenchClient> factory, boolean stall) throws Exception {
        List<BenchClient> connected = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Semaphore handshakes = new Semaphore(256);
        TokenSigner tokens = perUser && !stall
                ? new TokenSigner(Path.of(options.get("token-key")), options.getOrDefault("token-issuer", "bench-tokens")) : null;
        for (int i = 0; i < count; i++) {
            handshakes.acquire();
            BenchClient client = factory.get();
            String token = tokens != null ? "Bearer " + tokens.token(user(i)) : null;
            Future<?> opening = eventStreams ? openStream(streamClient, token, client, stall) : openSocket(socketClient, token, client, stall);
            opening.onComplete(result -> {
                if (result.succeeded()) {
                    connected.add(client);
                } else {
                    firstFailure.compareAndSet(null, result.cause().toString());
                }
                handshakes.release();
            });
        }
        handshakes.acquire(256);
        if (firstFailure.get() != null) {
            report.put(stall ? "stalled_connect_failures" : "connect_failures", count - connected.size());
            report.put("first_connect_failure", firstFailure.get());
        }
        return connected;
    }

    private Future<WebSocket> openSocket(WebSocketClient socketClient, String token, BenchClient client, boolean stall) {
        WebSocketConnectOptions connectOptions = new WebSocketConnectOptions()
                .setHost(url.getHost()).setPort(url.getPort()).setURI("/ws/notifications");
        if (apiKey != null) {
            connectOptions.addHeader("X-API-Key", apiKey);
        }
        if (token != null) {
            connectOptions.addHeader("Authorization", token);
        }
        return socketClient.connect(connectOptions).onSuccess(socket -> {
            if (stall) {
                socket.pause();
            } else {
                client.attach(socket);
            }
        });
    }

    /** GET /sse/notifications; open once its 200 came (the events follow on the same response). */
    private Future<HttpClientResponse> openStream(HttpClient streamClient, String token, BenchClient client, boolean stall) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET)
                .setHost(url.getHost()).setPort(url.getPort()).setURI("/sse/notifications")
                .addHeader("Accept", "text/event-stream");
        if (apiKey != null) {
            request.addHeader("X-API-Key", apiKey);
        }
        if (token != null) {
            request.addHeader("Authorization", token);
        }
        return streamClient.request(request).compose(HttpClientRequest::send).compose(response -> {
            if (response.statusCode() != 200) {
                return Future.failedFuture("event stream answered " + response.statusCode());
            }
            if (stall) {
                response.pause();
            } else {
                client.attach(response);
            }
            return Future.succeededFuture(response);
        });
    }

    /**
     * Publishes sequence numbers [from, to) at the given rate (0: as fast as allowed), never more than
     * in-flight at once; returns how many were accepted. Records each acceptance's time from its send in {@code acks}
     * (when not null).
     */
    private long publishAll(long from, long to, double perSecond, Latencies acks) throws InterruptedException {
        String via = options.getOrDefault("via", "rest");
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicReference<String> firstRefusal = new AtomicReference<>();
        Semaphore permits = new Semaphore(inFlight);
        long behindSchedule = 0;
        try (Publisher publisher = "kafka".equals(via)
                ? Publisher.kafka(options.getOrDefault("bootstrap-servers", "127.0.0.1:9092"), options.getOrDefault("topic", "notifications"))
                : Publisher.rest(publisherVertx, url, apiKey, inFlight, peer)) {
            long start = System.nanoTime();
            for (long seq = from; seq < to; seq++) {
                if (perSecond > 0) {
                    long due = start + (long) ((seq - from) * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    } else if (wait < -TimeUnit.MILLISECONDS.toNanos(5)) {
                        behindSchedule++;
                    }
                }
                permits.acquire();
                String user = perUser ? user((int) (seq % clients)) : null;
                long sentAt = System.nanoTime();
                publisher.publish(BenchClient.message(runId, seq, sentAt) + padding, null, user).thenAccept(outcome -> {
                    if (outcome.accepted()) {
                        accepted.incrementAndGet();
                        if (acks != null) {
                            acks.record(System.nanoTime() - sentAt);
                        }
                    } else {
                        refused.incrementAndGet();
                        firstRefusal.compareAndSet(null, outcome.refusal());
                    }
                    permits.release();
                });
            }
            permits.acquire(inFlight);
        }
        report.merge("refused", refused.get(), (a, b) -> (Long) a + (Long) b);
        if (firstRefusal.get() != null) {
            report.putIfAbsent("first_refusal", firstRefusal.get());
        }
        if (behindSchedule > 0) {
            report.put("sends_behind_schedule", behindSchedule);
        }
        return accepted.get();
    }

    /** Waits until the sockets have all expected deliveries, or nothing has arrived for a while. */
    private void awaitDeliveries(List<BenchClient> benchClients, ToLongFunction<BenchClient> counter, long expected) {
        long quietNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(options.getOrDefault("quiet-timeout-s", "15")));
        long lastCount = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            long received = benchClients.stream().mapToLong(counter).sum();
            if (received >= expected) {
                break;
            }
            if (received != lastCount) {
                lastCount = received;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > quietNanos) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** One value from the server's /q/metrics (Prometheus text), or null. */
    private Double serverMetric(Vertx vertx, String name) {
        return serverMetrics(vertx).get(name);
    }

    /** The server's metrics once every notification it read is timed as written, or after 5 s. */
    private Map<String, Double> settledServerMetrics(Vertx vertx) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Map<String, Double> metrics = serverMetrics(vertx);
            if (Metrics.everyReadNotificationTimed(metrics) || System.nanoTime() > deadline) {
                return metrics;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Every sample of the server's /q/metrics (Prometheus text). */
    private Map<String, Double> serverMetrics(Vertx vertx) {
        HttpClient http = vertx.createHttpClient();
        try {
            String metrics = http.request(HttpMethod.GET, url.getPort(), url.getHost(), "/q/metrics")
                    .compose(request -> request.send().compose(response -> response.body()))
                    .toCompletionStage().toCompletableFuture().join().toString();
            return Metrics.parse(metrics);
        } finally {
            http.close();
        }
    }

    /** For HeapReferrers: who holds what each socket keeps. GC.heap_dump collects first. */
    private void heapDump(Path jcmd, Path dump) throws IOException, InterruptedException {
        if (jcmd == null) {
            throw new IllegalArgumentException("--heap-dump needs the service on a JVM (a native executable dumps on SIGUSR1 only)");
        }
        Files.deleteIfExists(dump); // jcmd does not overwrite a file, and says so only in its output
        String said = server.jcmd(jcmd, "GC.heap_dump", dump.toString());
        if (!Files.exists(dump)) {
            throw new IllegalStateException("jcmd GC.heap_dump wrote no " + dump + ": " + said);
        }
    }

    /** A class histogram of the server's heap, which collects the garbage first. */
    private Map<String, SocketMemory.Row> classHistogram(Path jcmd) throws IOException, InterruptedException {
        return jcmd != null ? SocketMemory.parse(server.jcmd(jcmd, "GC.class_histogram")) : server.heapDumpHistogram();
    }

    /** The JVM's committed memory by category, when the service runs with -XX:NativeMemoryTracking=summary. */
    private Map<String, Long> nativeMemory(Path jcmd) throws IOException, InterruptedException {
        return SocketMemory.parseNativeMemory(server.jcmd(jcmd, "VM.native_memory", "summary"));
    }

    /** The server's heap in use (Micrometer's jvm_memory_used_bytes of the heap's areas), or null if not exported. */
    private Long serverHeapUsedKb(Vertx vertx) {
        double bytes = 0;
        boolean found = false;
        for (Map.Entry<String, Double> sample : serverMetrics(vertx).entrySet()) {
            if (sample.getKey().startsWith("jvm_memory_used_bytes{") && sample.getKey().contains("area=\"heap\"")) {
                bytes += sample.getValue();
                found = true;
            }
        }
        return found ? (long) (bytes / 1024) : null;
    }

    /** The user of the i-th socket, in per-user runs. */
    private static String user(int i) {
        return "bench-user-" + i;
    }

    private Long serverCpuMillis() throws IOException {
        return server != null ? server.cpuMillis() : null;
    }

    private Long serverRssKb() throws IOException {
        return server != null ? server.rssKb() : null;
    }

    private void print() throws IOException {
        System.out.println();
        System.out.println("run " + runId);
        report.forEach((name, value) -> System.out.printf("  %-28s %s%n", name, value));
        System.out.println(new ObjectMapper().writeValueAsString(report));
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
