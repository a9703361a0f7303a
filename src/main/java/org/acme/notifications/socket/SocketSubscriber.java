package org.acme.notifications.socket;

import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.routing.Subscriber;

/** Each socket's subscriber in routing, kept in its user data from the moment it joined. */
final class SocketSubscriber {

    private static final UserData.TypedKey<Subscriber> KEY = new UserData.TypedKey<>("subscriber");

    private SocketSubscriber() {
    }

    static void attach(WebSocketConnection connection, Subscriber subscriber) {
        connection.userData().put(KEY, subscriber);
    }

    /** Null for a socket that closed before it joined. */
    static Subscriber of(WebSocketConnection connection) {
        return connection.userData().get(KEY);
    }
}
