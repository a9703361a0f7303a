package org.acme.notifications.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A single-node Apache Kafka broker in KRaft mode (broker and controller in one process), listening
 * on loopback. For the dev run and the tests only: it lives in the test sources, so it never enters
 * the production artifact.
 *
 * <p>Run it as {@code java -cp <test classpath> org.acme.notifications.kafka.SingleNodeKafka PORT CONTROLLER_PORT DATA_DIR};
 * it prints {@link #READY} once clients can connect. Data survives restarts in the same folder.
 */
public final class SingleNodeKafka {

    public static final String READY = "Kafka broker ready on";

    private SingleNodeKafka() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3 && args.length != 6) {
            System.err.println("usage: SingleNodeKafka PORT CONTROLLER_PORT DATA_DIR [NODE_ID VOTERS CLUSTER_ID]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int controllerPort = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();

        Properties config = config(port, controllerPort, dir.resolve("data"));
        String clusterId = Uuid.randomUuid().toString();
        if (args.length == 6) {
            clusterId = args[5];
            config.putAll(clusterNode(Integer.parseInt(args[3]), args[4]));
        }
        Path configFile = dir.resolve("server.properties");
        Files.createDirectories(dir);
        try (Writer writer = Files.newBufferedWriter(configFile)) {
            config.store(writer, "Embedded single-node KRaft broker");
        }
        if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
            int status = StorageTool.execute(
                    new String[] {"format", "-t", clusterId, "-c", configFile.toString()}, System.out);
            if (status != 0) {
                throw new IllegalStateException("Formatting " + dir + " failed with status " + status);
            }
        }

        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "kafka-broker-shutdown"));
        server.startup();
        System.out.println(READY + " 127.0.0.1:" + port);
        server.awaitShutdown();
    }

    /**
     * One node of a cluster of three ({@link KafkaCluster}): its id, the controllers ({@code 1@host:port,...}), and what
     * production has (docs/deploying.md, "When a broker dies"): three replicas of everything, two of them in sync
     * for a write to count, and a broker that stops heartbeating fenced within 3 s.
     */
    private static Properties clusterNode(int nodeId, String voters) {
        Properties p = new Properties();
        p.put("node.id", String.valueOf(nodeId));
        p.put("controller.quorum.voters", voters);
        p.put("offsets.topic.replication.factor", "3");
        p.put("transaction.state.log.replication.factor", "3");
        p.put("transaction.state.log.min.isr", "2");
        p.put("share.coordinator.state.topic.replication.factor", "3");
        p.put("share.coordinator.state.topic.min.isr", "2");
        p.put("default.replication.factor", "3");
        p.put("min.insync.replicas", "2");
        p.put("num.partitions", "3");
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        return p;
    }

    private static Properties config(int port, int controllerPort, Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        // One node: every internal topic has a single replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        return p;
    }
}
