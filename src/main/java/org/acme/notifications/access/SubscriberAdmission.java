package org.acme.notifications.access;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

/**
 * Decides whether a subscriber may connect, over the socket or the event stream alike, and who it is: 403 for another
 * site's page (Origin not the service's own nor allowed), 401 for an access token that does not verify (or none where
 * one is required) and without an API key where reading needs one, 403 for {@code ?user=} naming someone else, 503 when
 * the token cannot be checked now; each with its {@link ErrorCode}. The place it holds is the transport's to take.
 *
 * <p>Two credentials, never taken for each other: the <em>access token</em> (a JWT: who the subscriber is) and the
 * <em>API key</em> (who may publish).
 */
@ApplicationScoped
public class SubscriberAdmission {

    private static final Logger LOG = Logger.getLogger(SubscriberAdmission.class);

    private final ApiKeys apiKeys;
    private final AccessTokens accessTokens;
    private final AllowedOrigins allowedOrigins;
    private final boolean requiresToken;

    public SubscriberAdmission(ApiKeys apiKeys, AccessTokens accessTokens, AllowedOrigins allowedOrigins, NotificationsConfig config) {
        this.apiKeys = apiKeys;
        this.accessTokens = accessTokens;
        this.allowedOrigins = allowedOrigins;
        this.requiresToken = config.subscribeRequiresToken();
    }

    /** What a subscriber presents (each null when absent), and the origin it was sent to ({@link AllowedOrigins#ownOrigin}). */
    public record Credentials(String origin, String ownOrigin, String authorization, String user, String apiKey) {

        /**
         * What the request of a socket's upgrade or of a stream presents; {@code authorization} is its own, since each
         * transport has its way for browsers (a subprotocol, {@code ?access_token=}). The API key comes in
         * {@code X-API-Key} or {@code ?api-key=}.
         */
        public static Credentials of(HttpServerRequest request, String authorization) {
            String key = request.getHeader("X-API-Key");
            return new Credentials(request.getHeader(HttpHeaders.ORIGIN), AllowedOrigins.ownOrigin(request), authorization, request.getParam("user"),
                    key != null ? key : request.getParam("api-key"));
        }
    }

    /**
     * Admitted ({@code refusal} null) as {@code identity}, publishing or not with the API key at {@code keyIndex}
     * ({@link ApiKeys#indexOf}); or refused, with the code (and its status) and why.
     */
    public record Decision(ErrorCode refusal, String detail, SocketIdentity identity, boolean mayPublish, int keyIndex) {

        static Decision refused(ErrorCode refusal, String detail) {
            return new Decision(refusal, detail, null, false, -1);
        }

        public boolean admitted() {
            return refusal == null;
        }
    }

    public Uni<Decision> decide(Credentials presented) {
        if (!allowedOrigins.allows(presented.origin(), presented.ownOrigin())) {
            return Uni.createFrom().item(Decision.refused(ErrorCode.FORBIDDEN_ORIGIN, "Pages of " + presented.origin()
                    + " may not subscribe: not this site (" + presented.ownOrigin() + "), nor in notifications.socket.allowed-origins"));
        }
        return accessTokens.identify(presented.authorization())
                .map(identity -> decide(presented, identity))
                .onFailure(AccessTokens.TokenRefused.class).recoverWithItem(failure -> {
                    LOG.debugf("Subscriber refused, its access token does not verify: %s", failure.getMessage());
                    return Decision.refused(ErrorCode.UNAUTHORIZED, "The access token does not verify: " + failure.getMessage());
                })
                .onFailure().recoverWithItem(failure -> {
                    // Not the token's fault (the identity provider's keys could not be fetched, say): retry later.
                    LOG.warnf("Could not check a subscriber's access token, answered 503: %s", failure.getMessage());
                    return Decision.refused(ErrorCode.TOKENS_UNAVAILABLE, "Access tokens cannot be checked now: retry later");
                });
    }

    private Decision decide(Credentials presented, SocketIdentity identity) {
        if (identity.isAnonymous() && requiresToken) {
            return Decision.refused(ErrorCode.UNAUTHORIZED, "Subscribing needs an access token (Authorization: Bearer <token>)");
        }
        if (presented.user() != null && !presented.user().equals(identity.user())) {
            // Another user's notifications are nobody else's.
            return Decision.refused(ErrorCode.FORBIDDEN_USER, "Only the user of the access token may read its notifications");
        }
        if (!apiKeys.maySubscribe(presented.apiKey())) {
            return Decision.refused(ErrorCode.UNAUTHORIZED, "Subscribing needs an API key (X-API-Key: <key>)");
        }
        return new Decision(null, null, identity, apiKeys.mayPublish(presented.apiKey()), apiKeys.indexOf(presented.apiKey()));
    }
}
