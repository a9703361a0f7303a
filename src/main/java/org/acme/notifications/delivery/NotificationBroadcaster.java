package org.acme.notifications.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationMetrics;
import org.jboss.logging.Logger;

/** Sends each notification to every open socket of this instance. */
@ApplicationScoped
public class NotificationBroadcaster {

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);

    private final OpenConnections connections;
    private final ObjectMapper mapper;
    private final NotificationMetrics metrics;

    public NotificationBroadcaster(OpenConnections connections, ObjectMapper mapper, NotificationMetrics metrics) {
        this.connections = connections;
        this.mapper = mapper;
        this.metrics = metrics;
    }

    /** Encodes once and writes to each connection without waiting for any of them. */
    @WithSpan("broadcast")
    public void broadcast(Notification notification) {
        String frame = encode(notification);
        for (WebSocketConnection connection : connections) {
            connection.sendText(frame).subscribe().with(
                    ignored -> metrics.delivered(),
                    failure -> {
                        metrics.droppedClosed();
                        LOG.debugf("Could not deliver %s to connection %s: %s",
                                notification.id(), connection.id(), failure.getMessage());
                    });
        }
        metrics.broadcast(notification.timestamp());
    }

    private String encode(Notification notification) {
        try {
            return mapper.writeValueAsString(notification);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A notification always serializes", e);
        }
    }
}
