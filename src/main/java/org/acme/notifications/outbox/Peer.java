package org.acme.notifications.outbox;

import org.acme.notifications.frames.CloseCode;

/**
 * The connection a {@link SocketOutbox} writes for, as the outbox needs it: who it is (for the logs), whether it is
 * closed (no data frame may follow a close frame), and how to close it. The socket's {@code WebSocketPeer} in production; a
 * recorder in the outbox's unit test, which runs on Netty's {@code EmbeddedChannel} without a socket.
 */
public interface Peer {

    String id();

    /** Closed or closing, by either side. */
    boolean isClosed();

    /** Closes with {@code code} and {@code reason}, without waiting. */
    void close(CloseCode code, String reason);
}
