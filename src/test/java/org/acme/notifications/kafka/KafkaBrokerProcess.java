package org.acme.notifications.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Runs {@link SingleNodeKafka} as a separate JVM, so that its own dependencies stay apart from the
 * service under test and a test can stop and start it like a real broker. The one way the project starts its
 * own broker: the tests through {@link KafkaBrokerResource} (unless {@code -Dkafka.broker=container}) and the
 * {@code *IT}s directly, {@code ./dev.sh}, {@code .ci/run} and {@code bench.sh} through
 * {@code src/test/scripts/start-kafka.sh}, which runs {@link #main}.
 */
public final class KafkaBrokerProcess implements KafkaBroker {

    private final int port;
    private final int controllerPort;
    private final Path dir;
    // Empty for a single node; NODE_ID VOTERS CLUSTER_ID for a node of a cluster.
    private final List<String> clusterArgs;
    private Process process;

    public KafkaBrokerProcess(Path dir) {
        this(freePort(), dir);
    }

    /**
     * A broker of its own for one test class, in {@code target/<name>}: what an earlier run left there is deleted, so
     * that a second run (CI runs every packaged test on the JVM, then against the native executable) starts empty.
     */
    public static KafkaBrokerProcess fresh(String name) {
        Path dir = Path.of("target", name);
        deleteTree(dir);
        return new KafkaBrokerProcess(dir);
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    static void deleteTree(Path dir) {
        try (Stream<Path> earlier = Files.exists(dir) ? Files.walk(dir) : Stream.empty()) {
            earlier.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public KafkaBrokerProcess(int port, Path dir) {
        this(port, freePort(), dir, List.of());
    }

    /** A node of a cluster ({@link KafkaCluster}). */
    KafkaBrokerProcess(int port, int controllerPort, Path dir, List<String> clusterArgs) {
        this.port = port;
        this.controllerPort = controllerPort;
        this.dir = dir;
        this.clusterArgs = clusterArgs;
    }

    /**
     * {@code PORT DATA_DIR}: starts a broker on 127.0.0.1:PORT, writes its pid to DATA_DIR/broker.pid and returns
     * once it is ready; the broker runs on after this JVM exits.
     */
    public static void main(String[] args) throws IOException {
        KafkaBrokerProcess broker = new KafkaBrokerProcess(Integer.parseInt(args[0]), Path.of(args[1]));
        Files.createDirectories(broker.dir);
        Files.deleteIfExists(broker.dir.resolve("broker.pid")); // never a stale pid for the caller to kill
        try {
            broker.start();
        } catch (RuntimeException notReady) {
            if (broker.process != null) {
                broker.process.destroyForcibly(); // a broker that is not ready is not left behind holding the port
            }
            throw notReady;
        }
        System.out.println("Kafka broker ready on " + broker.bootstrapServers() + " (log: " + broker.dir.resolve("broker.log") + ")");
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public synchronized void start() {
        launch();
        awaitReady();
    }

    /** Starts the process without waiting: a node of a cluster is ready only once enough of the others are up. */
    public synchronized void launch() {
        Path log = dir.resolve("broker.log");
        try {
            Files.createDirectories(dir);
            String classpath = Path.of("target", "test-classes").toAbsolutePath() + java.io.File.pathSeparator
                    + Files.readString(Path.of("target", "test-classpath.txt")).strip();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // C1 only: this broker needs little peak speed, and C2 compiling for minutes would take CPU
                    // from the service, the tests and the load tool on a small machine.
                    "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", classpath, SingleNodeKafka.class.getName(),
                    String.valueOf(port), String.valueOf(controllerPort), dir.toString()));
            command.addAll(clusterArgs);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            Files.writeString(dir.resolve("broker.pid"), String.valueOf(process.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the Kafka broker", e);
        }
    }

    public synchronized void awaitReady() {
        Path log = dir.resolve("broker.log");
        await("Kafka broker ready (log: " + log + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .failFast("Kafka broker exited; see " + log, () -> !process.isAlive())
                .until(() -> Files.readString(log).contains(SingleNodeKafka.READY));
    }

    /** Stops the broker as an operator would (SIGTERM: controlled shutdown), keeping its data. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            await().atMost(Duration.ofSeconds(60)).until(() -> !process.isAlive());
            process = null;
        }
    }

    /** SIGKILL: the broker vanishes as a crashed machine does, its data kept. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> !process.isAlive());
            process = null;
        }
    }

    /** A loopback port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
