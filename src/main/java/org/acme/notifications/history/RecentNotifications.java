package org.acme.notifications.history;

import io.netty.buffer.ByteBuf;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationId;
import org.acme.notifications.Target;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The last notifications, as encoded frames, in the order they were delivered: what a reconnecting client
 * is replayed. Bounded by count, by bytes of frames and by age. Not thread-safe: routing guards it with
 * its lock.
 */
public class RecentNotifications {

    /** One kept notification: its place in the topic, what the replay rules need of it, and its frame. */
    public record Entry(int partition, long offset, Instant timestamp, Target target, ByteBuf frame) {

        /** The entry of a notification received, over its encoded frame. */
        public static Entry of(ReceivedNotification received, ByteBuf frame) {
            Notification notification = received.notification();
            return new Entry(received.partition(), received.offset(), notification.timestamp(), notification.target(), frame);
        }

        /** One entry per notification, each over its frame ({@code frames.get(i)} is the frame of notification i). */
        public static List<Entry> of(List<ReceivedNotification> received, List<ByteBuf> frames) {
            List<Entry> entries = new ArrayList<>(received.size());
            for (int i = 0; i < received.size(); i++) {
                entries.add(of(received.get(i), frames.get(i)));
            }
            return entries;
        }
    }

    /**
     * What a resume gets: the frames after the requested id, oldest first. {@code complete} is false when
     * some were dropped from the history or left out to keep the replay within its byte budget; the replay
     * then starts at {@code firstId}.
     */
    public record After(List<ByteBuf> frames, boolean complete, String firstId) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();
    private final int maxSize;
    private final long maxBytes;
    private final Duration maxAge;
    private final Clock clock;
    private long bytes;
    // Per partition: the first offset from which every notification is still here. Offsets below it
    // were dropped (or never loaded), so a resume from before it has a gap.
    private final Map<Integer, Long> coveredFrom = new HashMap<>();
    // Per partition: the offset after the newest record seen; a resume from there on is ahead of this instance.
    private final Map<Integer, Long> next = new HashMap<>();

    /** {@code clock} tells the age of what is kept. */
    public RecentNotifications(int maxSize, long maxBytes, Duration maxAge, Clock clock) {
        this.maxSize = maxSize;
        this.maxBytes = maxBytes;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** Marks where this instance's stream of a partition starts (where the history load or the consumer began). */
    public void coverFrom(int partition, long offset) {
        coveredFrom.merge(partition, offset, Math::max);
        next.merge(partition, offset, Math::max);
    }

    public void add(Entry entry) {
        coveredFrom.putIfAbsent(entry.partition(), entry.offset());
        next.put(entry.partition(), entry.offset() + 1);
        entries.addLast(entry);
        bytes += entry.frame().readableBytes();
        while (entries.size() > maxSize || bytes > maxBytes) {
            drop(entries.removeFirst());
        }
    }

    /** Whether this instance has a stream for that partition at all. */
    public boolean knows(int partition) {
        return next.containsKey(partition);
    }

    /**
     * Whether the position names a notification this instance has not received yet: in a partition it knows, or in
     * one it has no stream of yet (a partition added to the topic that this instance's consumer has not been given).
     */
    public boolean isAhead(ResumePosition position) {
        return position.lastSeen().entrySet().stream().anyMatch(seen -> seen.getValue() >= next(seen.getKey()));
    }

    /** The offset after the newest record of that partition this instance has seen; 0 for a partition it has no stream of. */
    public long next(int partition) {
        return next.getOrDefault(partition, 0L);
    }

    /**
     * Everything after {@code position} that is {@code visible} to the one resuming, oldest first, at most {@code budget} bytes of frames (the newest ones); only
     * for a position this instance has reached. A named partition resumes after its id. A partition the client
     * has no id for had nothing while the client was connected (or it would have one), so it resumes after the
     * newest named id, in the order this instance received the notifications. Reads from the newest back, only
     * as far as the replay goes: the cost is the replay's, not the history's.
     */
    public After after(ResumePosition position, long budget, Predicate<Target> visible) {
        Instant oldestKept = clock.instant().minus(maxAge);
        dropOlderThan(oldestKept);
        Map<Integer, Long> lastSeen = position.lastSeen();
        Set<Integer> notPassed = new HashSet<>(lastSeen.keySet());
        if (lastSeen.keySet().containsAll(next.keySet())) {
            // Every partition is named: one with nothing after its id need not be looked for (a quiet partition
            // would otherwise make every resume read back through the whole history).
            notPassed.removeIf(partition -> lastSeen.get(partition) + 1 >= next.getOrDefault(partition, 0L));
        }
        boolean passedNewestNamed = false;
        boolean cut = false;
        boolean aged = false; // older than the age limit, behind a younger one: left out like a dropped one
        long replayBytes = 0;
        Deque<Entry> replayed = new ArrayDeque<>();
        for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext() && !notPassed.isEmpty(); ) {
            Entry entry = it.next();
            Long seen = lastSeen.get(entry.partition());
            boolean wanted = seen == null ? !passedNewestNamed : entry.offset() > seen;
            if (seen != null && entry.offset() <= seen) {
                notPassed.remove(entry.partition());
                passedNewestNamed |= entry.offset() == seen;
            }
            if (wanted && visible.test(entry.target())) {
                if (entry.timestamp().isBefore(oldestKept)) {
                    aged = true;
                    continue;
                }
                if (replayBytes + entry.frame().readableBytes() > budget) {
                    cut = true;
                    break;
                }
                replayBytes += entry.frame().readableBytes();
                replayed.addFirst(entry);
            }
        }
        // Complete when nothing was left out for the budget or its age, every named partition is kept from just after its
        // id on, and (if some partition is not named) the newest named id was here to count the others from.
        boolean complete = !cut && !aged
                && lastSeen.entrySet().stream().allMatch(seen -> seen.getValue() + 1 >= coveredFrom.getOrDefault(seen.getKey(), 0L))
                && (passedNewestNamed || lastSeen.keySet().containsAll(next.keySet()));
        Entry first = replayed.peekFirst();
        return new After(replayed.stream().map(Entry::frame).toList(), complete,
                first == null ? null : new NotificationId(first.partition(), first.offset()).toString());
    }

    /** The id of the newest notification received, or null. */
    public String newestId() {
        Entry newest = entries.peekLast();
        return newest == null ? null : new NotificationId(newest.partition(), newest.offset()).toString();
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
        bytes -= entry.frame().readableBytes();
        coveredFrom.merge(entry.partition(), entry.offset() + 1, Math::max);
    }
}
