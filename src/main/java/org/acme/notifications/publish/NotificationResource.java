package org.acme.notifications.publish;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.acme.notifications.NotificationRequestParser;

/** The REST trigger: {@code POST /api/notifications} with {@code {"message": "..."}}. */
@Path("/api/notifications")
public class NotificationResource {

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;

    public NotificationResource(NotificationRequestParser parser, NotificationPublisher publisher) {
        this.parser = parser;
        this.publisher = publisher;
    }

    /** 202 with the notification once Kafka acknowledged it; 400/413 for bad input, 503 when Kafka is unavailable. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> publish(byte[] body) {
        // The raw body, parsed by the same rules as socket frames and Kafka records.
        return Uni.createFrom().item(() -> parser.fromJson(body))
                .chain(publisher::publish)
                .map(notification -> Response.accepted(notification).build());
    }
}
