package org.acme.notifications.delivery;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a reconnecting client left off: {@code ?since=} with the last id it saw of each partition,
 * {@code <partition>-<offset>} comma-separated ({@code 0-41,1-17,2-9}); one id on a one-partition topic.
 *
 * @param lastSeen per named partition, the offset of the last notification the client saw
 */
record ResumePosition(Map<Integer, Long> lastSeen) {

    /** More ids than any topic of this service has partitions is not a position. */
    private static final int MAX_IDS = 1024;
    private static final Pattern ID = Pattern.compile("([0-9]{1,9})-([0-9]{1,18})");

    /** Null when malformed: an id that is not {@code <partition>-<offset>}, or one partition named twice. */
    static ResumePosition parse(String since) {
        String[] ids = since.split(",", -1);
        if (ids.length > MAX_IDS) {
            return null;
        }
        Map<Integer, Long> lastSeen = new HashMap<>();
        for (String id : ids) {
            Matcher parts = ID.matcher(id);
            try {
                if (!parts.matches() || lastSeen.put(Integer.parseInt(parts.group(1)), Long.parseLong(parts.group(2))) != null) {
                    return null;
                }
            } catch (NumberFormatException tooLarge) {
                return null;
            }
        }
        return new ResumePosition(Map.copyOf(lastSeen));
    }
}
