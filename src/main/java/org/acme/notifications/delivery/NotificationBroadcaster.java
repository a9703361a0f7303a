package org.acme.notifications.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;
import org.jboss.logging.Logger;

/** Sends each notification to every open socket of this instance. */
@ApplicationScoped
public class NotificationBroadcaster {

    private static final Logger LOG = Logger.getLogger(NotificationBroadcaster.class);

    private final OpenConnections connections;
    private final ObjectMapper mapper;

    public NotificationBroadcaster(OpenConnections connections, ObjectMapper mapper) {
        this.connections = connections;
        this.mapper = mapper;
    }

    /** Encodes once and writes to each connection without waiting for any of them. */
    public void broadcast(Notification notification) {
        String frame = encode(notification);
        for (WebSocketConnection connection : connections) {
            connection.sendText(frame).subscribe().with(
                    ignored -> {
                    },
                    failure -> LOG.debugf("Could not deliver %s to connection %s: %s",
                            notification.id(), connection.id(), failure.getMessage()));
        }
    }

    private String encode(Notification notification) {
        try {
            return mapper.writeValueAsString(notification);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A notification always serializes", e);
        }
    }
}
