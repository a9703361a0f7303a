package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Remembers each socket's Netty channel as it opens, for {@link SocketTransport} to write to:
 * websockets-next does not expose it.
 */
@ApplicationScoped
public class SocketChannels implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Channel> CHANNEL = new UserData.TypedKey<>("netty-channel");

    static Channel of(WebSocketConnection connection) {
        return connection.userData().get(CHANNEL);
    }

    /** The channel of an upgrade request, which becomes the socket's. */
    static Channel of(HttpServerRequest upgrade) {
        // An upgrade is HTTP/1.1, whose Vert.x connections are all ConnectionBase.
        return ((ConnectionBase) upgrade.connection()).channel();
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        context.userData().put(CHANNEL, of(context.httpRequest()));
        return CheckResult.permitUpgrade();
    }
}
