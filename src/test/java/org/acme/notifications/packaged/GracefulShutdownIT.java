package org.acme.notifications.packaged;

import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** SIGTERM, as Kubernetes stops a pod: every open socket and event stream is told to go elsewhere with 1001. */
class GracefulShutdownIT {

    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-shutdown-it");

    @BeforeAll
    static void startBroker() {
        BROKER.start();
    }

    @AfterAll
    static void stopBroker() {
        BROKER.stop();
    }

    @Test
    void socketsAndStreamsAreClosedWith1001OnSigterm() throws IOException {
        try (ServiceProcess service = new ServiceProcess(BROKER.bootstrapServers(), "shutdown").start()) {
            SocketClient first = SocketClient.connectWithJdkClient(service.baseUri(), null);
            SocketClient second = SocketClient.connectWithJdkClient(service.baseUri(), null);
            EventStreamClient stream = EventStreamClient.open(service.baseUri(), "", Map.of());
            await("the stream's first bytes").until(() -> stream.retry() > 0);

            service.terminate();

            await("both sockets closed").until(() -> first.closeCode().isPresent() && second.closeCode().isPresent());
            assertThat(log(service), first.closeCode(), equalTo(Optional.of(1001)));
            assertThat(log(service), second.closeCode(), equalTo(Optional.of(1001)));
            await("the stream ended").until(stream::ended);
            EventStreamClient.Event last = stream.events().get(stream.events().size() - 1);
            assertThat(log(service), last.name(), equalTo("close"));
            assertThat(log(service), last.json().path("code").asInt(), equalTo(1001));
        }
    }

    /** What the service logged, for a failure to show how it shut down. */
    private static String log(ServiceProcess service) throws IOException {
        return "the service's log:\n" + Files.readString(service.log());
    }
}
