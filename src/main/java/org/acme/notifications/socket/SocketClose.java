package org.acme.notifications.socket;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.frames.CloseCode;
import org.jboss.logging.Logger;

/** The one way to close a socket with a {@link CloseCode}, and to log a close that failed. */
final class SocketClose {

    private static final Logger LOG = Logger.getLogger(SocketClose.class);

    private SocketClose() {
    }

    /** The close frame of that code, with its own reason. */
    static CloseReason frame(CloseCode code) {
        return new CloseReason(code.code(), code.reason());
    }

    /** Closes the socket without waiting for it; a close that fails (the client went first) is logged at DEBUG. */
    static void close(WebSocketConnection connection, CloseCode code) {
        close(connection, code, code.reason());
    }

    /** As {@link #close(WebSocketConnection, CloseCode)}, with a reason of its own (cut to what a close frame holds). */
    static void close(WebSocketConnection connection, CloseCode code, String reason) {
        connection.close(new CloseReason(code.code(), code.reason(reason))).subscribe().with(ignored -> {
        }, failure -> LOG.debugf("Closing socket %s with %d failed: %s", connection.id(), code.code(), failure.getMessage()));
    }
}
