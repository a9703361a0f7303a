package org.acme.notifications.kafka;

import com.github.dockerjava.api.DockerClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A broker that Testcontainers' Kafka module starts in a container engine: Docker, or podman's
 * Docker-compatible socket named by {@code DOCKER_HOST}. The image is {@code apache/kafka} unless
 * {@code -Dkafka.image} names a compatible one; where no image can be pulled, {@code .ci/run} builds one from
 * the Kafka jars on Maven Central ({@code src/test/container/kafka}).
 */
public final class KafkaBrokerContainer implements KafkaBroker {

    private static final String IMAGE = System.getProperty("kafka.image", "apache/kafka:4.1.2");

    private final KafkaContainer container = new KafkaContainer(
            DockerImageName.parse(IMAGE).asCompatibleSubstituteFor("apache/kafka"));

    public KafkaBrokerContainer() {
        // A fixed host port for KafkaContainer's listener (9092): Docker would map a restarted container to a
        // new random one, and the broker's advertised address is written once, at the first start.
        container.setPortBindings(List.of("127.0.0.1:" + KafkaBrokerProcess.freePort() + ":9092"));
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public synchronized void start() {
        if (container.getContainerId() == null) {
            container.start();
            return;
        }
        // After stop(): the same container again, with its data, on the same port.
        docker().startContainerCmd(container.getContainerId()).exec();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            await("Kafka container serving again").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> !admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty());
        }
    }

    @Override
    public synchronized void stop() {
        if (!running()) {
            return;
        }
        // SIGTERM to the broker's JVM, a controlled shutdown: the container's first process is
        // KafkaContainer's shell, which ignores SIGTERM, so the engine's stop would wait and then kill.
        try {
            container.execInContainer("sh", "-c",
                    "for p in /proc/[0-9]*; do grep -qa 'kafka[.]Kafka' $p/cmdline 2>/dev/null && kill -TERM ${p#/proc/}; done");
        } catch (IOException e) {
            throw new IllegalStateException("Could not signal the Kafka container", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        await("Kafka container stopped").atMost(Duration.ofSeconds(60)).until(() -> !running());
    }

    /** Removes the container. */
    @Override
    public void close() {
        container.stop();
    }

    private boolean running() {
        return container.getContainerId() != null
                && Boolean.TRUE.equals(docker().inspectContainerCmd(container.getContainerId()).exec().getState().getRunning());
    }

    private DockerClient docker() {
        return container.getDockerClient();
    }
}
