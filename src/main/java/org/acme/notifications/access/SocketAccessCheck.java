package org.acme.notifications.access;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.delivery.SocketChannels;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides at connect time whether a socket may open and what it may do: 403 for another site's page
 * (Origin not the service's own nor allowed), 503 past the connection limit, 401 without a key where
 * reading needs one. The key comes from {@code Authorization: Bearer <key>} or, for browsers (which
 * cannot set headers on a WebSocket), the {@code api-key} query parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Boolean> MAY_PUBLISH = UserData.TypedKey.forBoolean("may-publish");
    private static final AttributeKey<Boolean> HOLDS_A_PLACE = AttributeKey.valueOf("notifications.holds-a-place");
    private static final UserData.TypedKey<Integer> KEY_INDEX = UserData.TypedKey.forInt("api-key-index");

    private final ApiKeys apiKeys;
    private final int maxConnections;
    private final AtomicInteger connections = new AtomicInteger(); // reserved at upgrade, released when the TCP connection closes
    private final Set<String> allowedOrigins;

    public SocketAccessCheck(ApiKeys apiKeys, NotificationsConfig config) {
        this.apiKeys = apiKeys;
        this.maxConnections = config.socket().maxConnections();
        this.allowedOrigins = Set.copyOf(config.socket().allowedOrigins().orElse(List.of()));
    }

    public static boolean mayPublish(WebSocketConnection connection) {
        return Boolean.TRUE.equals(connection.userData().get(MAY_PUBLISH));
    }

    /** Which configured API key the socket was opened with ({@link ApiKeys#indexOf}, -1 for none): its publishing counts against that key's rate. */
    public static int apiKeyIndex(WebSocketConnection connection) {
        return connection.userData().get(KEY_INDEX);
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        if (!sameSiteOrAllowed(request)) {
            return CheckResult.rejectUpgrade(403);
        }
        String key = ApiKeys.fromAuthorization(request.getHeader("Authorization"));
        if (key == null) {
            key = request.getParam("api-key");
        }
        if (!apiKeys.maySubscribe(key)) {
            return CheckResult.rejectUpgrade(401);
        }
        if (!reserveConnection(request)) {
            return CheckResult.rejectUpgrade(503);
        }
        context.userData().put(MAY_PUBLISH, apiKeys.mayPublish(key));
        context.userData().put(KEY_INDEX, apiKeys.indexOf(key));
        return CheckResult.permitUpgrade();
    }

    /** Connections holding a place: open sockets, and ones whose upgrade or close is under way. */
    public int connections() {
        return connections.get();
    }

    /**
     * Counts the connection in before its socket opens, atomically, so that upgrades arriving together cannot
     * all pass the limit; the place is freed when the connection closes, whether the upgrade completed or not.
     * One place per connection: a connection that asks again (its earlier upgrade failed) keeps the one it has.
     */
    private boolean reserveConnection(HttpServerRequest request) {
        Channel channel = SocketChannels.of(request);
        if (channel.hasAttr(HOLDS_A_PLACE)) {
            return true;
        }
        if (connections.incrementAndGet() > maxConnections) {
            connections.decrementAndGet();
            return false;
        }
        channel.attr(HOLDS_A_PLACE).set(Boolean.TRUE);
        channel.closeFuture().addListener(closed -> connections.decrementAndGet());
        return true;
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
