package org.acme.notifications.delivery;

import io.quarkus.websockets.next.WebSocketConnection;

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
        code.close(connection, reason);
    }
}
