package org.acme.notifications.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import org.apache.kafka.clients.producer.KafkaProducer;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Gives the service under test a real Apache Kafka broker of its own and points
 * {@code kafka.bootstrap.servers} at it. Tests reach the broker handle through a field annotated
 * {@link InjectKafkaBroker}.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    /** Init arg: this many plain-text records "history 0", "history 1", ... are on the topic before the service starts. */
    public static final String PRELOAD = "preload";

    private KafkaBrokerProcess broker;
    private int preload;

    @Override
    public void init(Map<String, String> initArgs) {
        preload = Integer.parseInt(initArgs.getOrDefault(PRELOAD, "0"));
    }

    @Override
    public Map<String, String> start() {
        broker = new KafkaBrokerProcess(Path.of("target", "kafka-test", UUID.randomUUID().toString()).toAbsolutePath());
        broker.start();
        if (preload > 0) {
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
                for (int i = 0; i < preload; i++) {
                    producer.send(KafkaClients.textRecord("history " + i));
                }
            }
        }
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(broker, new TestInjector.AnnotatedAndMatchesType(InjectKafkaBroker.class, KafkaBrokerProcess.class));
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.stop();
        }
    }
}
