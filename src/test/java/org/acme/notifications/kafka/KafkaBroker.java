package org.acme.notifications.kafka;

import java.nio.file.Path;

/**
 * A real Apache Kafka broker for the tests. By default the project's own ({@link KafkaBrokerProcess}); with
 * {@code -Dkafka.broker=container}, one that Testcontainers starts in a container engine
 * ({@link KafkaBrokerContainer}). Both stop and start again on the same address, keeping their data.
 */
public interface KafkaBroker extends AutoCloseable {

    /** The system property that chooses the broker: {@code embedded} (the default) or {@code container}. */
    String CHOICE = "kafka.broker";

    String bootstrapServers();

    /** Starts it (again after {@link #stop()}, on the same address) and returns once clients can connect. */
    void start();

    /** Stops it as an operator would (controlled shutdown), keeping its data. */
    void stop();

    /** Stops it for good, at the end of a test run. */
    @Override
    default void close() {
        stop();
    }

    /** The broker chosen by {@link #CHOICE}; an embedded one keeps its data in {@code dir}. */
    static KafkaBroker forTests(Path dir) {
        String choice = System.getProperty(CHOICE, "embedded");
        return switch (choice) {
            case "embedded" -> new KafkaBrokerProcess(dir);
            case "container" -> new KafkaBrokerContainer();
            default -> throw new IllegalArgumentException("-D" + CHOICE + " is embedded or container, not " + choice);
        };
    }
}
