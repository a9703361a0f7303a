package org.acme.notifications;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;

/**
 * A notification as clients see it: one JSON text frame on the socket, and the body of a 202.
 *
 * @param id        where the record sits in Kafka, a {@link NotificationId}
 * @param user      for that user only (see {@link Target}); absent for everyone
 * @param channel   for the subscribers of that channel only; absent for everyone
 * @param link      where it leads (an http(s) URL or a path on this site), or absent
 * @param data      a JSON object for the receiving page or program (its compact JSON text, written as is), or absent
 * @param timestamp the Kafka record's timestamp
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Notification(String id, String message, String title, String level, String user, String channel,
                           String link, @JsonRawValue @Schema(type = SchemaType.OBJECT) String data, Instant timestamp) {

    public static Notification of(NotificationRequest request, int partition, long offset, Instant timestamp) {
        return new Notification(new NotificationId(partition, offset).toString(), request.message(), request.title(), request.level(),
                request.user(), request.channel(), request.link(), request.data(), timestamp);
    }

    public Target target() {
        return new Target(user, channel);
    }
}
