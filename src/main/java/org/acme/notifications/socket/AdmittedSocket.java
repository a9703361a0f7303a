package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import org.acme.notifications.access.ApiKeys;
import org.acme.notifications.access.SocketIdentity;

/**
 * What {@link SocketAccessCheck} decided about a socket at its upgrade, kept in its user data for its whole life:
 * one entry, not one per field (each costs a map node on every socket).
 *
 * @param identity      who opened it
 * @param mayPublish    whether it may publish (it came with an API key, or none is needed)
 * @param apiKeyIndex   which configured API key it came with ({@link ApiKeys#indexOf}, -1 for none): its publishing
 *                      counts against that key's rate
 * @param clientAddress the client's address, for the logs: behind a trusted proxy the one it forwarded
 *                      (X-Forwarded-For), which the socket's own handshake request does not tell
 * @param channel       its Netty channel, for {@link SocketTransport} to write to: websockets-next does not expose it
 */
record AdmittedSocket(SocketIdentity identity, boolean mayPublish, int apiKeyIndex, String clientAddress, Channel channel) {

    private static final UserData.TypedKey<AdmittedSocket> KEY = new UserData.TypedKey<>("admitted");

    static AdmittedSocket of(WebSocketConnection connection) {
        return connection.userData().get(KEY);
    }

    void attachTo(UserData userData) {
        userData.put(KEY, this);
    }

    /** The channel of an upgrade request, which becomes the socket's. */
    static Channel channelOf(HttpServerRequest upgrade) {
        // An upgrade is HTTP/1.1, whose Vert.x connections are all ConnectionBase.
        return ((ConnectionBase) upgrade.connection()).channel();
    }
}
