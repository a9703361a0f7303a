package org.acme.notifications.routing;

import io.netty.buffer.ByteBuf;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;

/**
 * The seam between routing and a transport: what routing hands one subscriber. Answers, the replay and live batches
 * come through here in the order routing decided them, on the subscriber's event loop ({@link Subscriber#loop}), so an
 * implementation needs no lock. It bounds what waits for a client that does not read, and never writes after it
 * closed. {@code ConnectionOutbox} is the one implementation, over a WebSocket or an event stream (the socket adds
 * its own replies to frames it could not take, on the same loop).
 *
 * <p>What routing hands over is encoded once for every subscriber, as WebSocket text frames ({@link TextFrames}: a
 * 2-10 byte header, then the JSON). A transport that frames its data otherwise, such as Server-Sent Events, writes
 * the JSON of each and its own framing around it.
 */
public interface Outbox {

    /** Who it is, for the logs. */
    String id();

    /** An answer to what the client sent (subscribed, refusals, unknown ids), behind everything queued before it. */
    void answer(TextFrames answer);

    /**
     * What a resume gets before anything live: {@code frames} holds {@code notifications} notifications and the
     * control frames around them. Called at most once, when the subscriber goes live.
     */
    void replay(ByteBuf[] frames, int notifications);

    /** A live batch, or its part for this subscriber. */
    void offer(TextFrames batch);

    /** Ends the subscription for {@code why}, after what the client has already been sent. */
    void close(CloseCode why);
}
