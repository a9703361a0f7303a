package org.acme.notifications.socket;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.access.AccessTokens;
import org.acme.notifications.access.ApiKeys;
import org.acme.notifications.access.SocketIdentity;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Set;

/**
 * Decides at connect time whether a socket may open, who it is and what it may do: 403 for another site's
 * page (Origin not the service's own nor allowed), 401 for an access token that does not verify (or none where
 * one is required) and without an API key where reading needs one, 403 for {@code ?user=} naming someone else,
 * 503 past the connection limit.
 *
 * <p>Two credentials, never taken for each other. The <em>access token</em> (a JWT: who the subscriber is) comes
 * in {@code Authorization: Bearer <token>}; browsers, which cannot set headers on a WebSocket, offer it as the
 * subprotocol {@code quarkus-http-upgrade#Authorization#Bearer%20<token>}, which websockets-next turns into that
 * header. The <em>API key</em> (who may publish) comes in {@code X-API-Key: <key>} or the {@code api-key} query
 * parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Boolean> MAY_PUBLISH = UserData.TypedKey.forBoolean("may-publish");
    private static final UserData.TypedKey<Integer> KEY_INDEX = UserData.TypedKey.forInt("api-key-index");
    private static final UserData.TypedKey<SocketIdentity> IDENTITY = new UserData.TypedKey<>("identity");
    private static final Logger LOG = Logger.getLogger(SocketAccessCheck.class);

    private final ApiKeys apiKeys;
    private final AccessTokens accessTokens;
    private final boolean requiresToken;
    private final ConnectionPlaces places;
    private final Set<String> allowedOrigins;

    public SocketAccessCheck(ApiKeys apiKeys, AccessTokens accessTokens, ConnectionPlaces places, NotificationsConfig config) {
        this.apiKeys = apiKeys;
        this.accessTokens = accessTokens;
        this.requiresToken = config.subscribeRequiresToken();
        this.places = places;
        this.allowedOrigins = Set.copyOf(config.socket().allowedOrigins().orElse(List.of()));
    }

    static boolean mayPublish(WebSocketConnection connection) {
        return Boolean.TRUE.equals(connection.userData().get(MAY_PUBLISH));
    }

    /** Who opened the socket. */
    static SocketIdentity identity(WebSocketConnection connection) {
        return connection.userData().get(IDENTITY);
    }

    /** Which configured API key the socket was opened with ({@link ApiKeys#indexOf}, -1 for none): its publishing counts against that key's rate. */
    static int apiKeyIndex(WebSocketConnection connection) {
        return connection.userData().get(KEY_INDEX);
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        if (!sameSiteOrAllowed(request)) {
            return CheckResult.rejectUpgrade(403);
        }
        return accessTokens.identify(request.getHeader("Authorization"))
                .map(identity -> decide(context, request, identity))
                .onFailure(AccessTokens.TokenRefused.class).recoverWithItem(failure -> {
                    LOG.debugf("Socket refused, its access token does not verify: %s", failure.getMessage());
                    return CheckResult.rejectUpgradeSync(401);
                })
                .onFailure().recoverWithItem(failure -> {
                    // Not the token's fault (the identity provider's keys could not be fetched, say): retry later.
                    LOG.warnf("Could not check a socket's access token, answered 503: %s", failure.getMessage());
                    return CheckResult.rejectUpgradeSync(503);
                });
    }

    private CheckResult decide(HttpUpgradeContext context, HttpServerRequest request, SocketIdentity identity) {
        if (identity.isAnonymous() && requiresToken) {
            return CheckResult.rejectUpgradeSync(401);
        }
        String user = request.getParam("user");
        if (user != null && !user.equals(identity.user())) {
            return CheckResult.rejectUpgradeSync(403); // another user's notifications are nobody else's
        }
        String key = request.getHeader("X-API-Key");
        if (key == null) {
            key = request.getParam("api-key");
        }
        if (!apiKeys.maySubscribe(key)) {
            return CheckResult.rejectUpgradeSync(401);
        }
        if (!places.take(SocketChannels.of(request))) {
            return CheckResult.rejectUpgradeSync(503);
        }
        context.userData().put(IDENTITY, identity);
        context.userData().put(MAY_PUBLISH, apiKeys.mayPublish(key));
        context.userData().put(KEY_INDEX, apiKeys.indexOf(key));
        return CheckResult.permitUpgradeSync();
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
