package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.CloseCode;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A socket lives as long as its access token: at the token's expiry it is closed with {@link CloseCode#TOKEN_EXPIRED}. */
final class TokenExpiry {

    private static final Logger LOG = Logger.getLogger(TokenExpiry.class);

    private TokenExpiry() {
    }

    /** On the socket's event loop; nothing for a socket without a token, or one whose token does not expire. */
    static void closeAtExpiry(WebSocketConnection connection, SocketIdentity identity) {
        if (identity.expiresAt() == null) {
            return;
        }
        Channel channel = AdmittedSocket.of(connection).channel();
        long delay = Math.max(0, Duration.between(Instant.now(), identity.expiresAt()).toMillis());
        ScheduledFuture<?> expiry = channel.eventLoop().schedule(() -> {
            LOG.debugf("Socket %s: the access token of %s expired", connection.id(), identity.user());
            SocketClose.close(connection, CloseCode.TOKEN_EXPIRED);
        }, delay, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> expiry.cancel(false)); // a closed socket holds nothing until then
    }
}
