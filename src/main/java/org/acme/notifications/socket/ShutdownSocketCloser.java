package org.acme.notifications.socket;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.websockets.next.OpenConnections;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.frames.CloseCode;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * On SIGTERM, closes every socket with 1001 (going away) while the HTTP server still runs, so that
 * clients reconnect to another replica with {@code ?since=<last id>} and miss nothing. No new socket opens from then
 * on (503), and one that was opening meanwhile is closed too: the HTTP server would close it with a bare 1000.
 */
@ApplicationScoped
class ShutdownSocketCloser {

    private static final Logger LOG = Logger.getLogger(ShutdownSocketCloser.class);
    private static final Duration AT_MOST = Duration.ofSeconds(5);

    private final OpenConnections connections;
    private final ConnectionPlaces places;

    ShutdownSocketCloser(OpenConnections connections, ConnectionPlaces places) {
        this.connections = connections;
        this.places = places;
    }

    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        places.stopTaking();
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        Set<String> told = new HashSet<>();
        for (List<Uni<Void>> closes = closeUntold(told); !closes.isEmpty(); closes = closeUntold(told)) {
            LOG.infof("Closing %d sockets with 1001 (going away)", closes.size());
            long left = deadline - System.nanoTime();
            try {
                // Wait for the close frames to be written: the HTTP server stops right after this observer.
                Uni.join().all(closes).andCollectFailures().await().atMost(Duration.ofNanos(Math.max(1, left)));
            } catch (TimeoutException e) {
                LOG.warnf("Not every socket took its close frame within %s; the HTTP server stops now", AT_MOST);
                return;
            }
        }
    }

    /** Closes every open socket not told yet (the ones that opened while the others were being closed, too). */
    private List<Uni<Void>> closeUntold(Set<String> told) {
        return connections.stream().filter(connection -> told.add(connection.id()))
                .map(connection -> connection.close(SocketClose.frame(CloseCode.GOING_AWAY)).onFailure().recoverWithNull())
                .toList();
    }
}
