package org.acme.notifications.routing;

import org.acme.notifications.Target;
import org.acme.notifications.frames.TextFrames;
import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sockets of one event loop, indexed by user and by channel: a notification for one user or one channel
 * touches only the sockets that want it, a broadcast hands the batch to every socket at once. Guarded by
 * {@link NotificationBroadcaster}'s lock; the tasks it returns run on the loop, on what was decided under it.
 */
final class Recipients {

    private static final Logger LOG = Logger.getLogger(Recipients.class);

    private Subscriber[] everyone = new Subscriber[0]; // replaced, never changed: a task can hold it as is
    private final Map<String, Set<Subscriber>> byUser = new HashMap<>();
    private final Map<String, Set<Subscriber>> byChannel = new HashMap<>();

    void add(Subscriber subscriber) {
        Subscriber[] more = Arrays.copyOf(everyone, everyone.length + 1);
        more[everyone.length] = subscriber;
        everyone = more;
        if (subscriber.identity.user() != null) {
            byUser.computeIfAbsent(subscriber.identity.user(), user -> new HashSet<>()).add(subscriber);
        }
        subscriber.channels.forEach(channel -> subscribe(subscriber, channel));
    }

    void remove(Subscriber subscriber) {
        everyone = Arrays.stream(everyone).filter(other -> other != subscriber).toArray(Subscriber[]::new);
        if (subscriber.identity.user() != null) {
            removeFrom(byUser, subscriber.identity.user(), subscriber);
        }
        subscriber.channels.forEach(channel -> removeFrom(byChannel, channel, subscriber));
    }

    void subscribe(Subscriber subscriber, String channel) {
        byChannel.computeIfAbsent(channel, name -> new HashSet<>()).add(subscriber);
    }

    void unsubscribe(Subscriber subscriber, String channel) {
        removeFrom(byChannel, channel, subscriber);
    }

    /** The live subscribers of {@code user} on this loop (none: empty). */
    Set<Subscriber> ofUser(String user) {
        return byUser.getOrDefault(user, Set.of());
    }

    boolean isEmpty() {
        return everyone.length == 0;
    }

    /**
     * Decides who on this loop gets which notifications of a batch ({@code targets[i]} is the target of frame
     * {@code i}) and returns the task that hands them over, each socket its part in order. Counts per target kind
     * how many sockets each notification goes to.
     */
    Runnable deliver(List<Target> targets, TextFrames frames, Map<String, Integer> handedOut) {
        int[] broadcasts = broadcastsIn(targets);
        Map<Subscriber, Picks> picks = new IdentityHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            if (target.isBroadcast()) {
                handedOut.merge(target.kind(), everyone.length, Integer::sum);
                continue;
            }
            Set<Subscriber> candidates = target.user() != null ? byUser.get(target.user()) : byChannel.get(target.channel());
            if (candidates == null) {
                continue;
            }
            for (Subscriber subscriber : candidates) {
                if (subscriber.receives(target)) {
                    picks.computeIfAbsent(subscriber, ignored -> new Picks()).add(i);
                    handedOut.merge(target.kind(), 1, Integer::sum);
                }
            }
        }
        if (broadcasts.length == frames.count()) {
            Subscriber[] all = everyone;
            return () -> {
                for (Subscriber subscriber : all) {
                    offer(subscriber, frames);
                }
            };
        }
        if (broadcasts.length > 0) {
            Subscriber[] all = everyone;
            int[] forEveryone = broadcasts;
            return () -> {
                TextFrames broadcastsOnly = frames.subset(forEveryone); // one view, shared by every socket without picks
                for (Subscriber subscriber : all) {
                    Picks own = picks.get(subscriber);
                    offer(subscriber, own == null ? broadcastsOnly : frames.subset(merge(forEveryone, own.toArray())));
                }
            };
        }
        return () -> picks.forEach((subscriber, own) -> offer(subscriber, frames.subset(own.toArray())));
    }

    private static int[] broadcastsIn(List<Target> targets) {
        int count = 0;
        int[] indexes = new int[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).isBroadcast()) {
                indexes[count++] = i;
            }
        }
        return Arrays.copyOf(indexes, count);
    }

    /** On the loop: one failing socket does not keep the batch from the others. */
    private static void offer(Subscriber subscriber, TextFrames frames) {
        try {
            subscriber.outbox.offer(frames);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Could not hand a batch to a socket");
        }
    }

    /** Both sorted; the result in batch order. */
    private static int[] merge(int[] a, int[] b) {
        int[] merged = new int[a.length + b.length];
        int i = 0;
        int j = 0;
        int k = 0;
        while (i < a.length || j < b.length) {
            merged[k++] = j == b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++];
        }
        return merged;
    }

    /** The indexes of the targeted notifications of a batch that one socket gets, ascending. */
    private static final class Picks {
        private int[] indexes = new int[4];
        private int size;

        void add(int index) {
            if (size == indexes.length) {
                indexes = Arrays.copyOf(indexes, size * 2);
            }
            indexes[size++] = index;
        }

        int[] toArray() {
            return Arrays.copyOf(indexes, size);
        }
    }

    private static void removeFrom(Map<String, Set<Subscriber>> index, String key, Subscriber subscriber) {
        Set<Subscriber> subscribers = index.get(key);
        if (subscribers != null && subscribers.remove(subscriber) && subscribers.isEmpty()) {
            index.remove(key);
        }
    }
}
