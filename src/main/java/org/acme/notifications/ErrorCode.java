package org.acme.notifications;

import com.fasterxml.jackson.annotation.JsonValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The errors of this service's own rules, with their statuses: the problem body's
 * {@code urn:notifications:problem:<code>} and HTTP status over REST, the {@code code} and {@code status} of an error
 * frame on the socket, and the reason a record is dead-lettered (docs/protocol.md). Errors of the HTTP layer itself
 * ({@code not-found}, {@code method-not-allowed}...) are named by {@code ProblemMappers} from their status.
 */
@RegisterForReflection // serialized in error frames, natively too
public enum ErrorCode {
    INVALID_JSON("invalid-json", 400),
    INVALID_MESSAGE("invalid-message", 400),
    INVALID_TARGET("invalid-target", 400),
    INVALID_RECORD("invalid-record", 400),
    MESSAGE_TOO_LARGE("message-too-large", 413),
    BODY_TOO_LARGE("body-too-large", 413),
    UNAUTHORIZED("unauthorized", 401),
    RATE_LIMITED("rate-limited", 429),
    KAFKA_UNAVAILABLE("kafka-unavailable", 503),
    INVALID_CHANNEL("invalid-channel", 400),
    FORBIDDEN_CHANNEL("forbidden-channel", 403),
    TOO_MANY_CHANNELS("too-many-channels", 429),
    FORBIDDEN_USER("forbidden-user", 403),
    INVALID_SUBSCRIPTION("invalid-subscription", 400),
    UNKNOWN_TYPE("unknown-type", 400),
    INVALID_CURSOR("invalid-cursor", 400),
    INVALID_LIMIT("invalid-limit", 400),
    INVALID_STATUS("invalid-status", 400),
    INVALID_ID("invalid-id", 400),
    TOO_MANY_IDS("too-many-ids", 400),
    INVALID_SELECTION("invalid-selection", 400),
    INBOX_UNAVAILABLE("inbox-unavailable", 503),
    INBOX_OFF("inbox-off", 404),
    INVALID_QUERY("invalid-query", 400),
    FORBIDDEN_ORIGIN("forbidden-origin", 403),
    TOKENS_UNAVAILABLE("tokens-unavailable", 503),
    TOO_MANY_CONNECTIONS("too-many-connections", 503),
    INVALID_IDEMPOTENCY_KEY("invalid-idempotency-key", 400),
    IDEMPOTENCY_KEY_REUSED("idempotency-key-reused", 422),
    INVALID_SUBPROTOCOL("invalid-subprotocol", 400);

    private final String code;
    private final int status;

    ErrorCode(String code, int status) {
        this.code = code;
        this.status = status;
    }

    /** The stable slug clients match on. */
    @JsonValue
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }
}
