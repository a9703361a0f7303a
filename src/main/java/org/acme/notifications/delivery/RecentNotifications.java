package org.acme.notifications.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The last notifications, encoded, in the order they were delivered: what a reconnecting client is
 * replayed. Bounded by count and age. Not thread-safe: {@link NotificationBroadcaster} guards it.
 */
class RecentNotifications {

    record Entry(int partition, long offset, Instant timestamp, String frame) {
    }

    /** What a resume from an id gets. {@code complete} is false when older notifications were already dropped. */
    record Replay(List<String> frames, boolean complete, String oldestId) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();
    private final int maxSize;
    private final Duration maxAge;
    // Per partition: the first offset from which every notification is still here. Offsets below it
    // were dropped (or never loaded), so a resume from before it has a gap.
    private final Map<Integer, Long> coveredFrom = new HashMap<>();
    // Per partition: the offset after the newest record seen, to tell ids from the future (unknown).
    private final Map<Integer, Long> next = new HashMap<>();

    RecentNotifications(int maxSize, Duration maxAge) {
        this.maxSize = maxSize;
        this.maxAge = maxAge;
    }

    /** Marks where the history of a partition starts (at start-up, where loading from Kafka began). */
    void coverFrom(int partition, long offset) {
        coveredFrom.put(partition, offset);
        next.merge(partition, offset, Math::max);
    }

    void add(Entry entry) {
        coveredFrom.putIfAbsent(entry.partition(), entry.offset());
        next.put(entry.partition(), entry.offset() + 1);
        entries.addLast(entry);
        while (entries.size() > maxSize) {
            drop(entries.removeFirst());
        }
    }

    /** Everything after {@code (partition, offset)}, oldest first; null when that id is not one of this topic's. */
    Replay after(int partition, long offset) {
        Long end = next.get(partition);
        if (end == null || offset >= end) {
            return null;
        }
        dropOlderThan(Instant.now().minus(maxAge));
        List<String> frames = new ArrayList<>();
        boolean found = false;
        for (Entry entry : entries) {
            // Arrival order: once past the requested position in its partition, everything after follows.
            found |= entry.partition() == partition && entry.offset() > offset;
            if (found) {
                frames.add(entry.frame());
            }
        }
        boolean complete = offset + 1 >= coveredFrom.getOrDefault(partition, 0L);
        Entry oldest = entries.peekFirst();
        return new Replay(frames, complete, oldest == null ? null : oldest.partition() + "-" + oldest.offset());
    }

    private void dropOlderThan(Instant limit) {
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            if (!entry.timestamp().isBefore(limit)) {
                return;
            }
            it.remove();
            drop(entry);
        }
    }

    private void drop(Entry entry) {
        coveredFrom.merge(entry.partition(), entry.offset() + 1, Math::max);
    }
}
