package org.acme.notifications.socket;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.websockets.next.OpenConnections;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.frames.CloseCode;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;

/**
 * On SIGTERM, closes every socket with 1001 (going away) while the HTTP server still runs, so that
 * clients reconnect to another replica with {@code ?since=<last id>} and miss nothing.
 */
@ApplicationScoped
class ShutdownSocketCloser {

    private static final Logger LOG = Logger.getLogger(ShutdownSocketCloser.class);

    private final OpenConnections connections;

    ShutdownSocketCloser(OpenConnections connections) {
        this.connections = connections;
    }

    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        List<Uni<Void>> closes = connections.stream()
                .map(connection -> connection.close(SocketClose.frame(CloseCode.GOING_AWAY)).onFailure().recoverWithNull())
                .toList();
        if (closes.isEmpty()) {
            return;
        }
        LOG.infof("Closing %d sockets with 1001 (going away)", closes.size());
        // Wait for the close frames to be written: the HTTP server stops right after this observer.
        Uni.join().all(closes).andCollectFailures().await().atMost(Duration.ofSeconds(5));
    }
}
