package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.postgres.PostgresResource;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The packaged service (the jar, or the native executable after {@code -Dnative}) run as its own process,
 * the way an operator runs it: so that a test can run two replicas side by side, send SIGTERM, or kill it
 * with SIGKILL and start it again on the same port.
 */
final class ServiceProcess implements AutoCloseable {

    static final String API_KEY = "process-test-key";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One database per broker: the processes on one broker are replicas of one deployment, sharing its inbox. */
    private static final Map<String, Map<String, String>> DATABASES = new ConcurrentHashMap<>();

    private final String bootstrapServers;
    private final String instanceId;
    private final Map<String, String> settings;
    private final List<String> options = new ArrayList<>();
    private final int port = KafkaBrokerProcess.freePort();
    private final Path log;
    private final HttpClient http = HttpClient.newHttpClient();
    private Process process;

    ServiceProcess(String bootstrapServers, String instanceId) {
        this(bootstrapServers, instanceId, Map.of());
    }

    /** With extra configuration properties, given to the process as system properties. */
    ServiceProcess(String bootstrapServers, String instanceId, Map<String, String> settings) {
        this.bootstrapServers = bootstrapServers;
        this.instanceId = instanceId;
        this.settings = settings;
        this.log = Path.of("target", "service-" + instanceId + ".log").toAbsolutePath();
    }

    /** Runtime options for the JVM or the native executable ({@code -XX:MaxDirectMemorySize=24m}), before it starts. */
    ServiceProcess withOptions(String... more) {
        options.addAll(List.of(more));
        return this;
    }

    /** Where the process writes its console output. */
    Path log() {
        return log;
    }

    URI baseUri() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** Starts the service and waits until it reports ready (HTTP up, Kafka reachable, history loaded). */
    ServiceProcess start() {
        launch();
        awaitOrKill(() -> await("service " + instanceId + " ready (log: " + log + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .failFast("service " + instanceId + " exited; see " + log, () -> !process.isAlive())
                .until(() -> status(HttpRequest.newBuilder(baseUri().resolve("/q/health/ready")).build()) == 200));
        return this;
    }

    /** Starts the service and waits for its HTTP server only: it may not be ready. */
    ServiceProcess launch() {
        ProcessBuilder builder = new ProcessBuilder(command())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        builder.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        builder.environment().put("NOTIFICATIONS_API_KEYS", API_KEY);
        builder.environment().put("NOTIFICATIONS_INSTANCE_ID", instanceId);
        DATABASES.computeIfAbsent(bootstrapServers, broker -> PostgresResource.newDatabase())
                .forEach((name, value) -> builder.environment().put(name.toUpperCase().replaceAll("[.-]", "_"), value));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the service", e);
        }
        awaitOrKill(() -> await("service " + instanceId + " answering HTTP (log: " + log + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .failFast("service " + instanceId + " exited; see " + log, () -> !process.isAlive())
                .until(() -> status(HttpRequest.newBuilder(baseUri().resolve("/q/health/live")).build()) == 200));
        return this;
    }

    /** A service that never gets where the test waits for is killed: no caller holds it yet to close it. */
    private void awaitOrKill(Runnable waiting) {
        try {
            waiting.run();
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Whether the build packaged a native executable last (else the jar). */
    static boolean isNative() {
        return "native".equals(packaged().getProperty("type"));
    }

    /** What the build packaged last, as Quarkus records it: {@code java -jar} the jar, or the native executable. */
    private List<String> command() {
        Properties artifact = packaged();
        String path = Path.of("target").resolve(artifact.getProperty("path")).toAbsolutePath().toString();
        boolean nativeExecutable = "native".equals(artifact.getProperty("type"));
        List<String> command = new ArrayList<>();
        command.add(nativeExecutable ? path : Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        settings.forEach((name, value) -> command.add("-D" + name + "=" + value));
        if (!nativeExecutable) {
            command.addAll(List.of("-jar", path));
        }
        return command;
    }

    private static Properties packaged() {
        Properties artifact = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("target", "quarkus-artifact.properties"))) {
            artifact.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("No packaged service: run the build's package phase first", e);
        }
        return artifact;
    }

    /** The status (UP or DOWN) of one readiness check in /q/health/ready. */
    String readiness(String check) {
        try {
            String body = http.send(HttpRequest.newBuilder(baseUri().resolve("/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (JsonNode each : JSON.readTree(body).path("checks")) {
                if (each.path("name").asText().equals(check)) {
                    return each.path("status").asText();
                }
            }
            throw new AssertionError("No readiness check " + check + " in " + body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until this instance delivers what it accepts (its consumer has its partition). */
    void awaitDelivering() {
        try (SocketClient client = SocketClient.connectWithJdkClient(baseUri(), null)) {
            Pipeline.awaitReadyPublishingWith(client, this::publish);
        }
    }

    /** SIGTERM, as Kubernetes stops a pod; waits for the process to exit. */
    void terminate() {
        process.destroy();
        await().atMost(Duration.ofSeconds(30)).until(() -> !process.isAlive());
    }

    /** SIGKILL: no shutdown hook, no goodbye. */
    void kill() {
        process.destroyForcibly();
        await().atMost(Duration.ofSeconds(30)).until(() -> !process.isAlive());
    }

    /** POST /api/notifications with the API key; the response, or null when the service could not be reached. */
    HttpResponse<String> publish(String message) {
        return publishJson(Json.object("message", message));
    }

    /** As {@link #publish}, with a whole JSON body, targets and all. */
    HttpResponse<String> publishJson(String body) {
        return publishJson(body, Map.of());
    }

    /** As {@link #publishJson(String)}, with more headers ({@code Idempotency-Key}, say). */
    HttpResponse<String> publishJson(String body, Map<String, String> headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUri().resolve("/api/notifications"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + API_KEY)
                .timeout(Duration.ofSeconds(40)) // longer than any publish may take (16 s), so a slow answer is still read
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(builder::header);
        HttpRequest request = builder.build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        // SIGTERM first: a service left running stops as in production and removes its temporary files.
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
    }

    private int status(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
