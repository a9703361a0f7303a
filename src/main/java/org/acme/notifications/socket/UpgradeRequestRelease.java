package org.acme.notifications.socket;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.quarkus.websockets.next.HandshakeRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Lets the socket's upgrade request be collected once the socket is open: ~3.6 KB per socket (docs/performance.md,
 * "What each socket keeps").
 *
 * <p>Quarkus' HTTP security gives every request a deferred identity in its routing context. websockets-next (3.33)
 * keeps the routing context of an upgrade that has one for the socket's whole life (its {@code SecuritySupport}, to
 * resolve that identity later and close the socket when it expires), and with it the request, its response, their
 * headers, forwarding parsers, tracing span and metrics. The socket never uses a Quarkus identity: its access token is
 * verified by {@link SocketAccessCheck}, and {@link TokenExpiry} closes it when the token expires. So the upgrade of
 * the socket's path goes on without one, once authentication and authorization have run.
 */
@ApplicationScoped
class UpgradeRequestRelease {

    void register(@Observes Filters filters) {
        filters.register(context -> {
            if (context.request().headers().contains(HandshakeRequest.SEC_WEBSOCKET_KEY)
                    && NotificationSocket.PATH.equals(context.normalizedPath())) {
                context.remove(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
            }
            context.next();
        }, SecurityHandlerPriorities.AUTHORIZATION - 1);
    }
}
