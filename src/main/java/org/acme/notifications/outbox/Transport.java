package org.acme.notifications.outbox;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import org.acme.notifications.frames.CloseCode;

/**
 * The connection a {@link ConnectionOutbox} writes to, as the outbox needs it. The socket's {@code SocketTransport}
 * writes the frames as they are; the event stream's {@code EventStreamTransport} writes each as a Server-Sent Event;
 * the outbox's unit test writes to Netty's {@code EmbeddedChannel}, without a socket.
 */
public interface Transport {

    /** Who it is, for the logs. */
    String id();

    /** Closed or closing, by either side: nothing may be written any more. */
    boolean isClosed();

    /** The event loop the connection's writes happen on. */
    EventLoop loop();

    /** Where the outbox takes the buffers it copies a replay into. */
    ByteBufAllocator alloc();

    /**
     * Writes {@code frames} (one or more whole WebSocket text frames, back to back, as routing encoded them) in the
     * transport's own framing, and flushes; the transport owns the buffer from here. Completes when the connection
     * has taken them (the kernel, or the HTTP/2 stream's window).
     */
    Future<?> write(ByteBuf frames);

    /** Tells the client why, behind what was written, and closes; nothing is written after it. */
    void close(CloseCode code, String reason);

    /** Drops the connection now, unless it closed meanwhile: a client that did not read up to its close. */
    void drop();
}
