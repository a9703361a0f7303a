package org.acme.notifications;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A validated request to publish a notification: what travels as the value of a Kafka record,
 * as JSON. Build it with {@link NotificationRequestParser}, which enforces the rules.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NotificationRequest(String message, String title, String level) {
}
