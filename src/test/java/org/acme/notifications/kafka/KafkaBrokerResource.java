package org.acme.notifications.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Gives the service under test a real Apache Kafka broker of its own and points
 * {@code kafka.bootstrap.servers} at it. Tests reach the broker handle through a field annotated
 * {@link InjectKafkaBroker}.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    private KafkaBrokerProcess broker;

    @Override
    public Map<String, String> start() {
        broker = new KafkaBrokerProcess(Path.of("target", "kafka-test", UUID.randomUUID().toString()).toAbsolutePath());
        broker.start();
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
