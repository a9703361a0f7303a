package org.acme.notifications.access;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Decides at connect time what a socket may do. The key comes from {@code Authorization: Bearer <key>}
 * or, for browsers (which cannot set headers on a WebSocket), the {@code api-key} query parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Boolean> MAY_PUBLISH = UserData.TypedKey.forBoolean("may-publish");

    private final ApiKeys apiKeys;

    public SocketAccessCheck(ApiKeys apiKeys) {
        this.apiKeys = apiKeys;
    }

    public static boolean mayPublish(WebSocketConnection connection) {
        return Boolean.TRUE.equals(connection.userData().get(MAY_PUBLISH));
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
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
}
