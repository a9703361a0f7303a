package org.acme.notifications;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A publisher's key for one notification ({@code Idempotency-Key}): a notification published again with the same key by
 * the same publisher within the window is delivered and stored once (docs/protocol.md, "Retrying a publish"). The key
 * travels in a record header of the same name, next to {@link #PUBLISHER_HEADER}; a record from another Kafka
 * producer that carries only the key belongs to the publisher {@code kafka}.
 */
public record IdempotencyKey(String publisher, String key) {

    /** The HTTP header and the record header. */
    public static final String HEADER = "Idempotency-Key";
    /** Who published a keyed record this service wrote: an API key's fingerprint, or {@code anonymous}. */
    public static final String PUBLISHER_HEADER = "notifications-publisher";
    /** The publisher of keyed records from other Kafka producers. */
    public static final String KAFKA_PUBLISHER = "kafka";
    public static final int MAX_LENGTH = 255;

    /** 1 to 255 visible ASCII characters (no spaces): what fits in a header, a log line and an index. */
    public static boolean valid(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /**
     * The key a record carries, or null: none, or a key or publisher that is not {@link #valid} (the record is then not
     * de-duplicated).
     */
    public static IdempotencyKey of(Headers headers) {
        Header key = headers.lastHeader(HEADER);
        if (key == null || key.value() == null) {
            return null;
        }
        String value = new String(key.value(), StandardCharsets.UTF_8);
        if (!valid(value)) {
            return null;
        }
        Header publisher = headers.lastHeader(PUBLISHER_HEADER);
        if (publisher == null || publisher.value() == null) {
            return new IdempotencyKey(KAFKA_PUBLISHER, value);
        }
        String named = new String(publisher.value(), StandardCharsets.UTF_8);
        return valid(named) ? new IdempotencyKey(named, value) : null; // by the key's rules: it is stored and indexed too
    }

    public void addTo(Headers headers) {
        headers.add(HEADER, key.getBytes(StandardCharsets.UTF_8));
        headers.add(PUBLISHER_HEADER, publisher.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The record key of a keyed notification whose target has none (a broadcast): a retry lands in the partition of the
     * first attempt, after it, so that every consumer sees the two in the same order and keeps the same one.
     */
    public String recordKey() {
        return "idempotency:" + publisher + ":" + key;
    }

    /**
     * What a record's value is, in 64 bits: a second publish with the same key and another notification is a
     * mistake of the publisher, not a retry.
     */
    public static long fingerprint(byte[] value) {
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(value)).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }
}
