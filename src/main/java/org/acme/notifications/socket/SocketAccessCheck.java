package org.acme.notifications.socket;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.access.ApiKeys;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.access.SubscriberAdmission;

/**
 * Decides at upgrade time whether a socket may open and who it is ({@link SubscriberAdmission}), then takes its place
 * (503 past the connection limit).
 *
 * <p>The <em>access token</em> comes in {@code Authorization: Bearer <token>}; browsers, which cannot set headers on a
 * WebSocket, offer it as the subprotocol {@code quarkus-http-upgrade#Authorization#Bearer%20<token>}, which
 * websockets-next turns into that header. The <em>API key</em> comes in {@code X-API-Key: <key>} or the
 * {@code api-key} query parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private static final UserData.TypedKey<Boolean> MAY_PUBLISH = UserData.TypedKey.forBoolean("may-publish");
    private static final UserData.TypedKey<Integer> KEY_INDEX = UserData.TypedKey.forInt("api-key-index");
    private static final UserData.TypedKey<SocketIdentity> IDENTITY = new UserData.TypedKey<>("identity");
    private static final UserData.TypedKey<String> CLIENT_ADDRESS = new UserData.TypedKey<>("client-address");

    private final SubscriberAdmission admission;
    private final ConnectionPlaces places;

    public SocketAccessCheck(SubscriberAdmission admission, ConnectionPlaces places) {
        this.admission = admission;
        this.places = places;
    }

    static boolean mayPublish(WebSocketConnection connection) {
        return Boolean.TRUE.equals(connection.userData().get(MAY_PUBLISH));
    }

    /** Who opened the socket. */
    static SocketIdentity identity(WebSocketConnection connection) {
        return connection.userData().get(IDENTITY);
    }

    /**
     * The client's address, for the logs: behind a trusted proxy the one it forwarded (X-Forwarded-For), which the
     * socket's own handshake request does not tell.
     */
    static String clientAddress(WebSocketConnection connection) {
        return connection.userData().get(CLIENT_ADDRESS);
    }

    /** Which configured API key the socket was opened with ({@link ApiKeys#indexOf}, -1 for none): its publishing counts against that key's rate. */
    static int apiKeyIndex(WebSocketConnection connection) {
        return connection.userData().get(KEY_INDEX);
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        return admission.decide(SubscriberAdmission.Credentials.of(request, request.getHeader("Authorization"))).map(decision -> {
            if (!decision.admitted()) {
                return CheckResult.rejectUpgradeSync(decision.refusal().status());
            }
            if (!places.take(SocketChannels.of(request))) {
                return CheckResult.rejectUpgradeSync(503);
            }
            context.userData().put(IDENTITY, decision.identity());
            context.userData().put(MAY_PUBLISH, decision.mayPublish());
            context.userData().put(KEY_INDEX, decision.keyIndex());
            context.userData().put(CLIENT_ADDRESS, request.remoteAddress() == null ? "-" : request.remoteAddress().hostAddress());
            return CheckResult.permitUpgradeSync();
        });
    }
}
