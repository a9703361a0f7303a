package org.acme.notifications.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Three Kafka nodes in KRaft mode (each broker and controller), from the same jars as the single broker, each its own
 * process that a test can kill (SIGKILL) and start again: what production runs, with three replicas of every
 * partition and {@code min.insync.replicas=2}.
 */
public final class KafkaCluster {

    private final List<KafkaBrokerProcess> nodes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final Path dir;

    /** A new cluster in {@code dir}: what an earlier run left there is deleted at start. */
    public KafkaCluster(Path dir) {
        this.dir = dir;
        List<Integer> controllerPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ports.add(KafkaBrokerProcess.freePort());
            controllerPorts.add(KafkaBrokerProcess.freePort());
        }
        String voters = IntStream.range(0, 3).mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllerPorts.get(i)).collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 0; i < 3; i++) {
            nodes.add(new KafkaBrokerProcess(ports.get(i), controllerPorts.get(i), dir.resolve("node-" + (i + 1)),
                    List.of(String.valueOf(i + 1), voters, clusterId)));
        }
    }

    /** Starts the three together (none is ready before a majority of controllers is up), and waits for all. */
    public void start() {
        KafkaBrokerProcess.deleteTree(dir);
        nodes.forEach(KafkaBrokerProcess::launch);
        nodes.forEach(KafkaBrokerProcess::awaitReady);
    }

    public String bootstrapServers() {
        return ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
    }

    /** The node with this {@code node.id} (1 to 3). */
    public KafkaBrokerProcess node(int id) {
        return nodes.get(id - 1);
    }

    /** Creates {@code topic} with three partitions, each with three replicas (min.insync.replicas=2, from the brokers). */
    public void createTopic(String topic) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get();
        }
    }

    /** The {@code node.id} leading {@code partition} of {@code topic} now. */
    public int leaderOf(String topic, int partition) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(partition).leader().id();
        }
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Kills every node: a cluster that lost a node would wait for it in a controlled shutdown. */
    public void stop() {
        nodes.forEach(KafkaBrokerProcess::kill);
    }
}
