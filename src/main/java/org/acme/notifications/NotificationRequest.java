package org.acme.notifications;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A validated request to publish a notification: what travels as the value of a Kafka record,
 * as JSON. Build it with {@link NotificationRequestParser}, which enforces the rules.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(requiredProperties = "message")
public record NotificationRequest(
        @Schema(description = "The text shown; not blank, at most notifications.max-message-bytes (4096) bytes of UTF-8")
        String message,
        @Schema(description = "Optional heading, at most 200 characters")
        String title,
        @Schema(description = "Optional severity", enumeration = {"info", "success", "warning", "error"})
        String level,
        @Schema(description = "Only for this user: the subject ('sub') of their access token; at most 255 characters")
        String user,
        @Schema(description = "Only for the subscribers of this channel: 1-64 of A-Z a-z 0-9 _ - . :", pattern = "[A-Za-z0-9_.:-]{1,64}")
        String channel,
        @Schema(description = "Optional: where the notification leads; an https:// or http:// URL, or a path on this site starting with a single /; at most 2,048 characters", maxLength = 2048)
        String link,
        @Schema(description = "Optional: a JSON object for the receiving page or program, at most 4 KiB serialized", type = SchemaType.OBJECT)
        @JsonRawValue String data) {

    public Target target() {
        return new Target(user, channel);
    }
}
