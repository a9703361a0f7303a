package org.acme.notifications;

import java.nio.charset.StandardCharsets;

/** Where a notification came in. Records this service writes say so in a header; others came from Kafka directly. */
public enum NotificationSource {
    REST, SOCKET, KAFKA;

    /** The record header naming the source, on every record this service produces. */
    public static final String HEADER = "notifications-source";

    public String tag() {
        return name().toLowerCase();
    }

    public byte[] headerValue() {
        return tag().getBytes(StandardCharsets.UTF_8);
    }
}
