package org.acme.notifications.packaged;

import org.acme.notifications.delivery.SocketClient;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** Waits until an instance delivers what it accepts (its consumer has its partitions). */
final class Probes {

    private Probes() {
    }

    static void awaitDelivery(ServiceProcess service) {
        try (SocketClient client = SocketClient.connectWithJdkClient(service.baseUri(), null)) {
            String probe = "probe " + UUID.randomUUID();
            await("a probe to travel REST -> Kafka -> socket").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        HttpResponse<String> response = service.publish(probe);
                        return response != null && client.notification(probe).isPresent();
                    });
        }
    }
}
