package org.acme.notifications.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.NotificationId;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The keyed notifications this replica read within the window ({@code notifications.idempotency.window}), and for each
 * key the first. Records are judged in the order the consumer reads them, by their own timestamps: every replica reads
 * a partition in the same order, and a retry lands in the partition of its first attempt ({@link IdempotencyKey#recordKey}),
 * so every replica keeps the same one and drops the same repeats. At start-up the history load fills it with what it
 * reads, so the window holds across restarts as far back as the history reaches.
 *
 * <p>A publisher asks it first ({@link #firstOrAwait}): a key already seen is answered with its first notification,
 * without writing anything; otherwise it writes the record and waits for the consumer to read a record with that key,
 * its own or an earlier one from another replica: the first either way.
 */
@ApplicationScoped
public class IdempotencyWindow {

    private static final Logger LOG = Logger.getLogger(IdempotencyWindow.class);

    /** The first notification with a key: its id, its record's timestamp, and what it was ({@link IdempotencyKey#fingerprint}). */
    public record First(NotificationId id, Instant timestamp, long fingerprint) {
    }

    private final long windowMillis;
    private final int maxKeys;
    // Insertion order is the order of reading: the eldest is the first to leave the window.
    private final LinkedHashMap<IdempotencyKey, First> firsts = new LinkedHashMap<>();
    // One future per waiting publisher: one that gives up (or is cancelled) leaves the others waiting.
    private final Map<IdempotencyKey, List<CompletableFuture<First>>> awaited = new HashMap<>();
    private final Clock clock;
    private boolean forgotWithinWindow;

    @Inject
    public IdempotencyWindow(NotificationsConfig config) {
        this(config.idempotency().window(), config.idempotency().maxKeys(), Clock.systemUTC());
    }

    IdempotencyWindow(Duration window, int maxKeys, Clock clock) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("notifications.idempotency.max-keys must be at least 1");
        }
        this.windowMillis = window.toMillis();
        this.maxKeys = maxKeys;
        this.clock = clock;
    }

    /**
     * Called for each keyed record in the order of reading: true when it is the first with its key within the window
     * (deliver it), false for a repeat (drop it). Completes what a publisher awaits for that key.
     */
    public boolean firstRead(IdempotencyKey key, NotificationId id, Instant timestamp, long fingerprint) {
        First first;
        boolean repeat;
        List<CompletableFuture<First>> waiting;
        synchronized (this) {
            // A record stamped in the future (a producer's clock) must not push every key out of the window.
            forgetOlderThan(Math.min(timestamp.toEpochMilli(), clock.millis()) - windowMillis);
            first = firsts.get(key);
            repeat = first != null && !first.id().equals(id) && timestamp.toEpochMilli() - first.timestamp().toEpochMilli() <= windowMillis;
            if (!repeat) {
                first = new First(id, timestamp, fingerprint);
                firsts.remove(key); // to the end: the newest
                firsts.put(key, first);
                forgetBeyondMaxKeys(timestamp);
            }
            waiting = awaited.remove(key);
        }
        // Outside the lock: completing runs the publishers' answers.
        if (waiting != null) {
            for (CompletableFuture<First> publisher : waiting) {
                publisher.complete(first);
            }
        }
        return !repeat;
    }

    /**
     * For a publisher about to write a keyed notification: completed with the first if the key was read within the
     * window before {@code now}; otherwise completed when a record with that key is read (until {@link #stopAwaiting}).
     * Each caller gets a future of its own.
     */
    public synchronized CompletableFuture<First> firstOrAwait(IdempotencyKey key, Instant now) {
        First first = firsts.get(key);
        if (first != null && now.toEpochMilli() - first.timestamp().toEpochMilli() <= windowMillis) {
            return CompletableFuture.completedFuture(first);
        }
        CompletableFuture<First> mine = new CompletableFuture<>();
        awaited.computeIfAbsent(key, ignored -> new ArrayList<>()).add(mine);
        return mine;
    }

    /** The publisher gave up (its write failed, or the consumer did not read it in time). */
    public synchronized void stopAwaiting(IdempotencyKey key, CompletableFuture<First> mine) {
        List<CompletableFuture<First>> waiting = awaited.get(key);
        if (waiting != null && waiting.remove(mine) && waiting.isEmpty()) {
            awaited.remove(key);
        }
    }

    synchronized int size() {
        return firsts.size();
    }

    private void forgetOlderThan(long oldestKept) {
        Iterator<First> eldest = firsts.values().iterator();
        while (eldest.hasNext() && eldest.next().timestamp().toEpochMilli() < oldestKept) {
            eldest.remove();
        }
    }

    private void forgetBeyondMaxKeys(Instant now) {
        Iterator<First> eldest = firsts.values().iterator();
        while (firsts.size() > maxKeys && eldest.hasNext()) {
            First forgotten = eldest.next();
            eldest.remove();
            if (!forgotWithinWindow && now.toEpochMilli() - forgotten.timestamp().toEpochMilli() <= windowMillis) {
                forgotWithinWindow = true; // once: it holds for as long as publishers keep this pace
                LOG.warnf("More keyed notifications within the idempotency window than notifications.idempotency.max-keys (%d): "
                        + "the oldest are forgotten before their window ends, and a retry of one would be delivered again", maxKeys);
            }
        }
    }
}
