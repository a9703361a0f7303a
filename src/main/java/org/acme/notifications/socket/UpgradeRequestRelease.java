package org.acme.notifications.socket;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.quarkus.websockets.next.HandshakeRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Lets the socket's upgrade request be collected once the socket is open: 4,104 bytes per socket (docs/performance.md,
 * "Lever 3").
 *
 * <p>Quarkus' HTTP security gives every request a deferred identity in its routing context. websockets-next (3.33)
 * keeps the routing context of an upgrade that has one for the socket's whole life (its {@code SecuritySupport}, to
 * resolve that identity later and close the socket when it expires), and with it the request, its response, their
 * headers, forwarding parsers, tracing span and metrics. The socket never uses a Quarkus identity: its access token is
 * verified by {@link SocketAccessCheck}, and {@link TokenExpiry} closes it when the token expires. So the upgrade of
 * the socket's path goes on without one, once authentication and HTTP permissions have run.
 *
 * <p>Whoever secures the endpoint the Quarkus way later ({@code @Authenticated}, {@code @RolesAllowed}, an
 * {@code HttpSecurityPolicy}) must remove this filter: websockets-next's checks would find no identity and refuse
 * every upgrade. An HTTP permission that resolves the identity on this path would make websockets-next keep the
 * routing context again (through the request's user), silently: the memory benchmark shows it.
 */
@ApplicationScoped
class UpgradeRequestRelease {

    private final String socketPath;

    UpgradeRequestRelease(@ConfigProperty(name = "quarkus.http.root-path", defaultValue = "/") String rootPath) {
        this.socketPath = socketPath(rootPath);
    }

    /** websockets-next serves the endpoint's path under the root path ({@code api}, {@code /api} or {@code /api/}). */
    static String socketPath(String rootPath) {
        String root = (rootPath.startsWith("/") ? "" : "/") + rootPath;
        return (root.endsWith("/") ? root.substring(0, root.length() - 1) : root) + NotificationSocket.PATH;
    }

    /** The endpoint's route also takes its path with a trailing slash. */
    static boolean isSocketPath(String path, String socketPath) {
        return path.equals(socketPath) || path.length() == socketPath.length() + 1 && path.startsWith(socketPath) && path.endsWith("/");
    }

    void register(@Observes Filters filters) {
        filters.register(context -> {
            if (isSocketUpgrade(context)) {
                context.remove(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
            }
            context.next();
        }, SecurityHandlerPriorities.AUTHORIZATION - 1);
    }

    private boolean isSocketUpgrade(RoutingContext context) {
        if (!context.request().headers().contains(HandshakeRequest.SEC_WEBSOCKET_KEY)) {
            return false;
        }
        return isSocketPath(context.normalizedPath(), socketPath);
    }
}
