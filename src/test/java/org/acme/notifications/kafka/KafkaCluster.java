package org.acme.notifications.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.RetriableException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

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

    /**
     * Creates {@code topic} with three partitions, each with three replicas (min.insync.replicas=2, from the brokers),
     * partition {@code p} preferring node {@code p + 1} as its leader: one partition per broker, as in production.
     */
    public void createTopic(String topic) throws Exception {
        Map<Integer, List<Integer>> replicas = Map.of(0, List.of(1, 2, 3), 1, List.of(2, 3, 1), 2, List.of(3, 1, 2));
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, replicas))).all().get();
        }
        restorePreferredLeaders(topic);
    }

    /**
     * Waits until every replica of {@code topic} is in sync again, then makes each partition's preferred replica its
     * leader, as the controller's own leader rebalance does within 5 minutes: a node that was killed and launched again
     * leads nothing until then, and the nodes that took over lead two partitions or three.
     */
    public void restorePreferredLeaders(String topic) {
        try (Admin admin = admin()) {
            // A topic just created may not be known yet to the broker that answers: ask again.
            await("every replica of " + topic + " in sync").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(ExecutionException.class)
                    .until(() -> describe(admin, topic).partitions().stream().allMatch(p -> p.isr().size() == p.replicas().size()));
            await("the preferred leaders of " + topic).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(ExecutionException.class)
                    .until(() -> electedPreferredLeaders(admin, topic));
        }
    }

    /** True once every partition is led by its preferred replica; a retriable refusal (not yet eligible) is "not yet". */
    private static boolean electedPreferredLeaders(Admin admin, String topic) throws Exception {
        Set<TopicPartition> partitions = describe(admin, topic).partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
        for (Optional<Throwable> error : admin.electLeaders(ElectionType.PREFERRED, partitions).partitions().get().values()) {
            // ElectionNotNeededException (already led by its preferred replica) is itself a RetriableException.
            if (error.isEmpty() || error.get() instanceof ElectionNotNeededException) {
                continue;
            }
            if (error.get() instanceof RetriableException) {
                return false;
            }
            throw new IllegalStateException("preferred leader election failed", error.get());
        }
        return describe(admin, topic).partitions().stream()
                .allMatch(p -> p.leader() != null && p.leader().id() == p.replicas().get(0).id());
    }

    /** Each partition of {@code topic} and the {@code node.id} leading it now (-1 for none). */
    public Map<Integer, Integer> leaders(String topic) throws Exception {
        try (Admin admin = admin()) {
            return describe(admin, topic).partitions().stream()
                    .collect(Collectors.toMap(p -> p.partition(), p -> p.leader() == null ? -1 : p.leader().id()));
        }
    }

    /**
     * The {@code node.id} of the active controller (every node here is a broker and a controller); asked again while
     * the quorum answers with none or is changing its leader.
     */
    public int activeController() {
        try (Admin admin = admin()) {
            return await("the active controller").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptionsInstanceOf(ExecutionException.class)
                    .until(() -> admin.describeMetadataQuorum().quorumInfo().get().leaderId(), id -> id >= 1 && id <= nodes.size());
        }
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Kills every node: a cluster that lost a node would wait for it in a controlled shutdown. */
    public void stop() {
        nodes.forEach(KafkaBrokerProcess::kill);
    }
}
