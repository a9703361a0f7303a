package org.acme.notifications;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The places for long-lived connections this instance keeps ({@code notifications.socket.max-connections}), sockets
 * and event streams together: each subscriber's connection holds one from before it opens until it closes, whatever
 * it closed for.
 */
@ApplicationScoped
public class ConnectionPlaces {

    private static final AttributeKey<Boolean> HOLDS_A_PLACE = AttributeKey.valueOf("notifications.holds-a-place");

    private final int max;
    private final AtomicInteger taken = new AtomicInteger(); // a socket's: when its TCP connection closes; a stream's: when it is gone
    private volatile boolean closing;

    public ConnectionPlaces(NotificationsConfig config) {
        this.max = config.socket().maxConnections();
    }

    /**
     * Takes a place for the connection, atomically, so that connections arriving together cannot all pass the limit;
     * false when none is left. One place per connection: a connection that asks again (its earlier upgrade failed)
     * keeps the one it has.
     */
    public boolean take(Channel connection) {
        if (connection.hasAttr(HOLDS_A_PLACE)) {
            return true;
        }
        if (!take()) {
            return false;
        }
        connection.attr(HOLDS_A_PLACE).set(Boolean.TRUE);
        connection.closeFuture().addListener(closed -> release());
        return true;
    }

    /**
     * Takes a place for an event stream, atomically; false when none is left. The stream {@link #release}s it when it
     * ends: one TCP connection may carry several streams (HTTP/2), or one after the other (HTTP/1.1 keep-alive).
     */
    public boolean take() {
        if (closing) {
            return false;
        }
        if (taken.incrementAndGet() > max) {
            taken.decrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * The instance is shutting down: no new connection is taken from now on (503: the client tries another replica),
     * so that none opens after the open ones were told to go.
     */
    public void stopTaking() {
        closing = true;
    }

    /** Whether {@link #stopTaking()} was called: a connection that opens now must be told to go at once. */
    public boolean stoppedTaking() {
        return closing;
    }

    /** Gives back a place {@link #take()}n. */
    public void release() {
        taken.decrementAndGet();
    }

    /** Connections holding a place: open ones, and ones whose opening or closing is under way. */
    public int taken() {
        return taken.get();
    }
}
