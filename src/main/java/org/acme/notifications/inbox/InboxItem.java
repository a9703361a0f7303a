package org.acme.notifications.inbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;

/**
 * One stored notification: the notification as the socket delivered it, and what its user did with it (each an instant,
 * or null while not done).
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InboxItem(String id, String message, String title, String level, String user, String channel, String link,
                        @JsonRawValue @Schema(type = SchemaType.OBJECT) String data, Instant timestamp,
                        @JsonInclude(JsonInclude.Include.ALWAYS) @Schema(nullable = true) Instant seenAt,
                        @JsonInclude(JsonInclude.Include.ALWAYS) @Schema(nullable = true) Instant readAt,
                        @JsonInclude(JsonInclude.Include.ALWAYS) @Schema(nullable = true) Instant archivedAt) {
}
