package org.acme.notifications.frames;

import java.nio.charset.StandardCharsets;

/**
 * Every close code the service sends, with its default reason and when it is sent (docs/protocol.md, "Limits and
 * close codes", lists the same). The socket's {@code SocketClose} is the one way to close a
 * socket with one.
 */
public enum CloseCode {

    /** On SIGTERM, before the HTTP server stops: reconnect to another replica with {@code ?since=}. */
    GOING_AWAY(1001, "server shutting down: reconnect with ?since=<last id>"),
    /** A binary frame: the socket speaks JSON text. */
    UNSUPPORTED_DATA(1003, "binary frames are not supported: send JSON text"),
    /** A query string that cannot be read. */
    POLICY_VIOLATION(1008, "malformed query string"),
    /** A frame over {@code quarkus.websockets-next.server.max-message-size}. */
    TOO_BIG(1009, "frame too large"),
    /** An error of this service's own. */
    SERVER_ERROR(1011, "unexpected error"),
    /** The access token the socket was opened with expired: reconnect with a fresh one (and {@code ?since=}). */
    TOKEN_EXPIRED(4001, "access token expired: reconnect with a fresh one"),
    /** The client does not read what it is sent: it may reconnect with {@code ?since=} and catch up. */
    TOO_SLOW(4008, "too slow: reconnect with ?since=<last id>"),
    /** This instance did not reach the client's {@code since} within the catch-up timeout: retry with the same id. */
    BEHIND(4009, "not caught up yet: reconnect with the same id");

    private static final int MAX_REASON_BYTES = 123;

    private final int code;
    private final String reason;

    CloseCode(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    /** This code's own reason. */
    public String reason() {
        return reason;
    }

    /**
     * A reason of its own, cut to the 123 bytes of UTF-8 that RFC 6455 allows a close frame's reason (Vert.x sends a
     * longer one as it is, and clients then fail the connection instead of reading the code).
     */
    public String reason(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_REASON_BYTES) {
            return text;
        }
        int end = MAX_REASON_BYTES;
        while ((bytes[end] & 0xC0) == 0x80) {
            end--; // not inside a character
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
