package org.acme.notifications;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;

/**
 * A notification as clients see it: one JSON text frame on the socket, and the body of a 202.
 *
 * @param id        where the record sits in Kafka, a {@link NotificationId}
 * @param user      for that user only (see {@link Target}); absent for everyone
 * @param channel   for the subscribers of that channel only; absent for everyone
 * @param timestamp the Kafka record's timestamp
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Notification(String id, String message, String title, String level, String user, String channel,
                           Instant timestamp) {

    public static Notification of(NotificationRequest request, int partition, long offset, Instant timestamp) {
        return new Notification(new NotificationId(partition, offset).toString(), request.message(), request.title(), request.level(),
                request.user(), request.channel(), timestamp);
    }

    public Target target() {
        return new Target(user, channel);
    }
}
