package org.acme.notifications.access;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;

import java.util.List;
import java.util.Set;

/**
 * Decides at connect time whether a socket may open and what it may do: 403 for another site's page
 * (Origin not the service's own nor allowed), 503 past the connection limit, 401 without a key where
 * reading needs one. The key comes from {@code Authorization: Bearer <key>} or, for browsers (which
 * cannot set headers on a WebSocket), the {@code api-key} query parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Boolean> MAY_PUBLISH = UserData.TypedKey.forBoolean("may-publish");

    private final ApiKeys apiKeys;
    private final OpenConnections connections;
    private final int maxConnections;
    private final Set<String> allowedOrigins;

    public SocketAccessCheck(ApiKeys apiKeys, OpenConnections connections, NotificationsConfig config) {
        this.apiKeys = apiKeys;
        this.connections = connections;
        this.maxConnections = config.socket().maxConnections();
        this.allowedOrigins = Set.copyOf(config.socket().allowedOrigins().orElse(List.of()));
    }

    public static boolean mayPublish(WebSocketConnection connection) {
        return Boolean.TRUE.equals(connection.userData().get(MAY_PUBLISH));
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        if (!sameSiteOrAllowed(request)) {
            return CheckResult.rejectUpgrade(403);
        }
        if (connections.stream().count() >= maxConnections) {
            return CheckResult.rejectUpgrade(503);
        }
        String key = ApiKeys.fromAuthorization(request.getHeader("Authorization"));
        if (key == null) {
            key = request.getParam("api-key");
        }
        if (!apiKeys.maySubscribe(key)) {
            return CheckResult.rejectUpgrade(401);
        }
        context.userData().put(MAY_PUBLISH, apiKeys.mayPublish(key));
        return CheckResult.permitUpgrade();
    }

    /** Browsers always send Origin; programs usually do not, and are not the cross-site risk. */
    private boolean sameSiteOrAllowed(HttpServerRequest request) {
        String origin = request.getHeader("Origin");
        if (origin == null || allowedOrigins.contains(origin)) {
            return true;
        }
        String host = request.getHeader("Host");
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }
}
