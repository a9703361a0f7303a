package org.acme.notifications.routing;

import io.netty.channel.EventLoop;
import org.acme.notifications.Target;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.history.Replays.Replay;

import java.util.HashSet;
import java.util.Set;

/**
 * One subscriber as routing sees it: who it is, which channels it reads, the event loop its writes happen on, and its
 * {@link Outbox}. A transport gets one from {@link NotificationBroadcaster#join} and hands it back to (un)subscribe
 * and to leave. The state is changed and read under the broadcaster's lock only.
 */
public final class Subscriber {

    final SocketIdentity identity;
    final Outbox outbox;
    final EventLoop loop;
    final Set<String> channels = new HashSet<>();
    boolean live; // in its loop's Recipients
    boolean left; // closed: never live again
    TextFrames untilLive; // told before it went live: sent right after its replay

    Subscriber(SocketIdentity identity, Outbox outbox, EventLoop loop) {
        this.identity = identity;
        this.outbox = outbox;
        this.loop = loop;
    }

    /**
     * Queued on the subscriber's loop, behind every task queued there before: routing queues with its lock held,
     * so what it decides reaches the outbox in the order it decided it.
     */
    void answer(TextFrames answer) {
        loop.execute(() -> outbox.answer(answer));
    }

    /** As {@link #answer}: the replay, ahead of every batch handed out after it was built. */
    void replay(Replay replay) {
        loop.execute(() -> outbox.replay(replay.frames(), replay.notifications()));
    }

    /** As {@link #answer}. */
    void close(CloseCode why) {
        loop.execute(() -> outbox.close(why));
    }

    /** Whose it is: the subject of its access token, or null when anonymous. */
    public String user() {
        return identity.user();
    }

    /** The one rule of who receives what: see {@link Target}. */
    boolean receives(Target target) {
        return target.reaches(identity.user(), channels);
    }
}
