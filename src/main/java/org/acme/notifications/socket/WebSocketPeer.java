package org.acme.notifications.socket;

import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.Peer;

/** A websockets-next connection as the peer of its outbox. */
record WebSocketPeer(WebSocketConnection connection) implements Peer {

    @Override
    public String id() {
        return connection.id();
    }

    @Override
    public boolean isClosed() {
        return connection.isClosed();
    }

    @Override
    public void close(CloseCode code, String reason) {
        SocketClose.close(connection, code, reason);
    }
}
