package org.acme.notifications;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A notification's id, {@code <partition>-<offset>}: where its record sits in the topic. Unique, and a position a
 * client can resume from.
 */
public record NotificationId(int partition, long offset) {

    private static final Pattern FORMAT = Pattern.compile("([0-9]{1,9})-([0-9]{1,18})");

    /** Null when {@code id} is not {@code <partition>-<offset>} (or out of range). */
    public static NotificationId parse(String id) {
        Matcher parts = FORMAT.matcher(id);
        if (!parts.matches()) {
            return null;
        }
        try {
            return new NotificationId(Integer.parseInt(parts.group(1)), Long.parseLong(parts.group(2)));
        } catch (NumberFormatException tooLarge) {
            return null;
        }
    }

    @Override
    public String toString() {
        return partition + "-" + offset;
    }
}
