package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.access.SubscriberAdmission;

/**
 * Decides at upgrade time whether a socket may open and who it is ({@link SubscriberAdmission}), then takes its place
 * (503 past the connection limit), and keeps what it decided ({@link AdmittedSocket}).
 *
 * <p>The <em>access token</em> comes in {@code Authorization: Bearer <token>}; browsers, which cannot set headers on a
 * WebSocket, offer it as the subprotocol {@code quarkus-http-upgrade#Authorization#Bearer%20<token>}, which
 * websockets-next turns into that header. The <em>API key</em> comes in {@code X-API-Key: <key>} or the
 * {@code api-key} query parameter.
 */
@ApplicationScoped
public class SocketAccessCheck implements HttpUpgradeCheck {

    private final SubscriberAdmission admission;
    private final ConnectionPlaces places;

    public SocketAccessCheck(SubscriberAdmission admission, ConnectionPlaces places) {
        this.admission = admission;
        this.places = places;
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        return admission.decide(SubscriberAdmission.Credentials.of(request, request.getHeader("Authorization"))).map(decision -> {
            if (!decision.admitted()) {
                return CheckResult.rejectUpgradeSync(decision.refusal().status());
            }
            Channel channel = AdmittedSocket.channelOf(request);
            if (!places.take(channel)) {
                return CheckResult.rejectUpgradeSync(503);
            }
            new AdmittedSocket(decision.identity(), decision.mayPublish(), decision.keyIndex(),
                    request.remoteAddress() == null ? "-" : request.remoteAddress().hostAddress(), channel).attachTo(context.userData());
            return CheckResult.permitUpgradeSync();
        });
    }
}
