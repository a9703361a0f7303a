package org.acme.notifications.delivery;

import io.netty.channel.EventLoop;
import org.acme.notifications.Target;
import org.acme.notifications.access.SocketIdentity;

import java.util.HashSet;
import java.util.Set;

/**
 * One open socket as routing sees it: who it is, which channels it reads, and where its frames go. The
 * channels are changed and read under {@link NotificationBroadcaster}'s lock only.
 */
final class Subscriber {

    final SocketIdentity identity;
    final SocketOutbox outbox;
    final EventLoop loop;
    final Set<String> channels = new HashSet<>();
    boolean live; // in its loop's Recipients
    boolean left; // closed: never live again

    Subscriber(SocketIdentity identity, SocketOutbox outbox, EventLoop loop) {
        this.identity = identity;
        this.outbox = outbox;
        this.loop = loop;
    }

    /** The one rule of who receives what: see {@link Target}. */
    boolean receives(Target target) {
        return target.reaches(identity.user(), channels);
    }
}
