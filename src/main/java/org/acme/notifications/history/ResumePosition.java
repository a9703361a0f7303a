package org.acme.notifications.history;

import org.acme.notifications.NotificationId;

import java.util.HashMap;
import java.util.Map;

/**
 * Where a reconnecting client left off: {@code ?since=} with the last id it saw of each partition,
 * {@code <partition>-<offset>} comma-separated ({@code 0-41,1-17,2-9}); one id on a one-partition topic.
 *
 * @param lastSeen per named partition, the offset of the last notification the client saw
 */
public record ResumePosition(Map<Integer, Long> lastSeen) {

    /** More ids than any topic of this service has partitions is not a position. */
    private static final int MAX_IDS = 1024;

    /** Null when malformed: an id that is not {@code <partition>-<offset>}, or one partition named twice. */
    public static ResumePosition parse(String since) {
        String[] ids = since.split(",", -1);
        if (ids.length > MAX_IDS) {
            return null;
        }
        Map<Integer, Long> lastSeen = new HashMap<>();
        for (String text : ids) {
            NotificationId id = NotificationId.parse(text);
            if (id == null || lastSeen.put(id.partition(), id.offset()) != null) {
                return null;
            }
        }
        return new ResumePosition(Map.copyOf(lastSeen));
    }
}
