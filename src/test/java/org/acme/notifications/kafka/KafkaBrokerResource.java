package org.acme.notifications.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * Gives the service under test a real Apache Kafka broker of its own ({@link KafkaBroker#forTests}) and
 * points {@code kafka.bootstrap.servers} at it. Tests reach the broker handle through a field annotated
 * {@link InjectKafkaBroker}.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    /** Init arg: this many plain-text records "history 0", "history 1", ... are on the topic before the service starts. */
    public static final String PRELOAD = "preload";
    /** Init arg: the notifications topic is created with this many partitions (else the broker makes it with one). */
    public static final String PARTITIONS = "partitions";
    /** Init arg: each preloaded record is padded to about this many bytes; with {@link #PARTITIONS}, they go round-robin. */
    public static final String PRELOAD_BYTES = "preload-bytes";

    private KafkaBroker broker;
    private int preload;
    private int partitions;
    private int preloadBytes;

    @Override
    public void init(Map<String, String> initArgs) {
        preload = Integer.parseInt(initArgs.getOrDefault(PRELOAD, "0"));
        partitions = Integer.parseInt(initArgs.getOrDefault(PARTITIONS, "0"));
        preloadBytes = Integer.parseInt(initArgs.getOrDefault(PRELOAD_BYTES, "0"));
    }

    @Override
    public Map<String, String> start() {
        broker = KafkaBroker.forTests(Path.of("target", "kafka-test", UUID.randomUUID().toString()).toAbsolutePath());
        broker.start();
        if (partitions > 0) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("notifications", partitions, (short) 1))).all().get();
            } catch (InterruptedException | ExecutionException e) {
                throw new IllegalStateException("Could not create the notifications topic", e);
            }
        }
        if (preload > 0) {
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
                for (int i = 0; i < preload; i++) {
                    String text = "history " + i;
                    if (preloadBytes > text.length()) {
                        text = text + " " + "x".repeat(preloadBytes - text.length() - 1);
                    }
                    ProducerRecord<String, byte[]> record = KafkaClients.textRecord(text);
                    producer.send(partitions > 0
                            ? new ProducerRecord<>(record.topic(), i % partitions, null, record.value()) : record);
                }
            }
        }
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(broker, new TestInjector.AnnotatedAndMatchesType(InjectKafkaBroker.class, KafkaBroker.class));
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
    }
}
