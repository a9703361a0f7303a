package org.acme.notifications;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who a notification is for. No field set: everyone (a broadcast). {@code user}: only the sockets of that user
 * (the subject of their access token). {@code channel}: only the sockets subscribed to that channel. Both: only
 * that user's sockets subscribed to that channel; each field narrows, so a notification for a user never
 * reaches anybody else.
 */
public record Target(String user, String channel) {

    public static final Target EVERYONE = new Target(null, null);

    /** Channel names: 1 to 64 letters, digits, '_', '-', '.' or ':'; case matters. */
    public static final Pattern CHANNEL_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    public boolean isBroadcast() {
        return user == null && channel == null;
    }

    /** Whether a socket of {@code subscriber} (null when anonymous), subscribed to {@code channels}, receives it. */
    public boolean reaches(String subscriber, Set<String> channels) {
        return (user == null || user.equals(subscriber)) && (channel == null || channels.contains(channel));
    }

    /** For metrics: {@code broadcast}, {@code channel} or {@code user} (a user in a channel counts as user). */
    public String kind() {
        return user != null ? "user" : channel != null ? "channel" : "broadcast";
    }

    /**
     * The Kafka record key this service writes, and the convention for other producers: records for one target
     * land in one partition, so each target gets its notifications in order when the topic has several.
     */
    public String recordKey() {
        return user != null ? "user:" + user : channel != null ? "channel:" + channel : null;
    }
}
