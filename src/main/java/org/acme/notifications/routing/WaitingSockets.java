package org.acme.notifications.routing;

import org.acme.notifications.history.RecentNotifications;
import org.acme.notifications.history.ResumePosition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;

/**
 * The sockets whose {@code since} this instance has not reached, indexed by what each waits for: before the stream
 * starts, the start; then one partition of its position that this instance has not passed yet, by the offset it
 * must pass. A new batch or a stream start looks only at the sockets it can release, and a socket that leaves is
 * found by its subscriber: nothing scans every waiting socket. Guarded by routing's lock.
 */
final class WaitingSockets {

    /** One waiting socket. */
    static final class Waiting {
        final Subscriber subscriber;
        final ResumePosition from;
        final String since;
        ScheduledFuture<?> deadline;
        private int partition = -1; // what it is indexed under: -1 for the stream's start
        private long offset;

        Waiting(Subscriber subscriber, ResumePosition from, String since) {
            this.subscriber = subscriber;
            this.from = from;
            this.since = since;
        }
    }

    private final Map<Subscriber, Waiting> bySubscriber = new HashMap<>();
    private final Set<Waiting> forTheStart = new LinkedHashSet<>();
    // Per partition, by the offset each socket waits to see passed (its last seen id there), those sockets.
    private final Map<Integer, NavigableMap<Long, Set<Waiting>>> byPosition = new HashMap<>();

    /** Adds a socket that must wait ({@code started}: whether the stream has started; {@code recent}: how far it is). */
    void add(Waiting socket, boolean started, RecentNotifications recent) {
        bySubscriber.put(socket.subscriber, socket);
        if (!started) {
            socket.partition = -1;
            forTheStart.add(socket);
        } else if (!indexByWhatItWaitsFor(socket, recent)) {
            throw new IllegalArgumentException("Only a socket that must wait is added");
        }
    }

    Waiting get(Subscriber subscriber) {
        return bySubscriber.get(subscriber);
    }

    /** Removes the socket of that subscriber, if it waits; returns it, or null. */
    Waiting remove(Subscriber subscriber) {
        Waiting socket = bySubscriber.remove(subscriber);
        if (socket != null) {
            unindex(socket);
        }
        return socket;
    }

    int size() {
        return bySubscriber.size();
    }

    /** The stream started: the sockets that need nothing more, removed; the others now wait for their partition. */
    List<Waiting> started(RecentNotifications recent) {
        List<Waiting> ready = new ArrayList<>();
        List<Waiting> all = new ArrayList<>(forTheStart);
        forTheStart.clear();
        for (Waiting socket : all) {
            if (!indexByWhatItWaitsFor(socket, recent)) {
                bySubscriber.remove(socket.subscriber);
                ready.add(socket);
            }
        }
        return ready;
    }

    /** These partitions moved on: the sockets this instance has now reached, removed; the others re-indexed. */
    List<Waiting> advanced(Collection<Integer> partitions, RecentNotifications recent) {
        List<Waiting> ready = new ArrayList<>();
        for (int partition : partitions) {
            NavigableMap<Long, Set<Waiting>> waiting = byPosition.get(partition);
            if (waiting == null) {
                continue;
            }
            // Waiting to see an offset passed that is now below the partition's next: passed.
            NavigableMap<Long, Set<Waiting>> passed = waiting.headMap(recent.next(partition), false);
            List<Waiting> released = new ArrayList<>();
            passed.values().forEach(released::addAll);
            passed.clear();
            if (waiting.isEmpty()) {
                byPosition.remove(partition);
            }
            for (Waiting socket : released) {
                if (!indexByWhatItWaitsFor(socket, recent)) {
                    bySubscriber.remove(socket.subscriber);
                    ready.add(socket);
                }
            }
        }
        return ready;
    }

    /** Indexes the socket under the first partition this instance has not passed its id in; false when there is none. */
    private boolean indexByWhatItWaitsFor(Waiting socket, RecentNotifications recent) {
        for (Map.Entry<Integer, Long> seen : socket.from.lastSeen().entrySet()) {
            if (seen.getValue() >= recent.next(seen.getKey())) {
                socket.partition = seen.getKey();
                socket.offset = seen.getValue();
                byPosition.computeIfAbsent(socket.partition, ignored -> new TreeMap<>())
                        .computeIfAbsent(socket.offset, ignored -> new LinkedHashSet<>()).add(socket);
                return true;
            }
        }
        return false;
    }

    private void unindex(Waiting socket) {
        if (socket.partition < 0) {
            forTheStart.remove(socket);
            return;
        }
        NavigableMap<Long, Set<Waiting>> waiting = byPosition.get(socket.partition);
        Set<Waiting> atOffset = waiting == null ? null : waiting.get(socket.offset);
        if (atOffset != null && atOffset.remove(socket) && atOffset.isEmpty()) {
            waiting.remove(socket.offset);
            if (waiting.isEmpty()) {
                byPosition.remove(socket.partition);
            }
        }
    }
}
