package org.acme.notifications.packaged;

import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** SIGTERM, as Kubernetes stops a pod: every open socket is told to go elsewhere with 1001. */
class GracefulShutdownIT {

    private static final KafkaBrokerProcess BROKER = new KafkaBrokerProcess(Path.of("target", "kafka-shutdown-it"));

    @BeforeAll
    static void startBroker() {
        BROKER.start();
    }

    @AfterAll
    static void stopBroker() {
        BROKER.stop();
    }

    @Test
    void socketsAreClosedWith1001OnSigterm() {
        try (ServiceProcess service = new ServiceProcess(BROKER.bootstrapServers(), "shutdown").start()) {
            SocketClient first = SocketClient.connectWithJdkClient(service.baseUri(), null);
            SocketClient second = SocketClient.connectWithJdkClient(service.baseUri(), null);

            service.terminate();

            await("both sockets closed").until(() -> first.closeCode().isPresent() && second.closeCode().isPresent());
            assertThat(first.closeCode(), equalTo(Optional.of(1001)));
            assertThat(second.closeCode(), equalTo(Optional.of(1001)));
        }
    }
}
