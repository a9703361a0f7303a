package org.acme.notifications.access;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.time.Instant;
import java.util.Set;

/**
 * Verifies a subscriber's access token (a JWT) by signature, issuer, audience and expiry, with smallrye-jwt and the
 * {@code mp.jwt.verify.*} settings. Only the socket's upgrade asks; no other request is authenticated, so the REST
 * trigger's {@code Authorization} header (an API key) is never read as a token.
 */
@ApplicationScoped
public class AccessTokens {

    private static final String BEARER = "bearer ";

    private final JWTParser parser;

    public AccessTokens(JWTParser parser) {
        this.parser = parser;
    }

    /**
     * Who the {@code Authorization} header says the caller is: anonymous without one; fails with
     * {@link TokenRefused} for a token that does not verify or names no subject. Verified on a worker thread (the first
     * verification may fetch the identity provider's keys), answered on the caller's event loop.
     */
    public Uni<SocketIdentity> identify(String authorization) {
        if (authorization == null) {
            return Uni.createFrom().item(SocketIdentity.ANONYMOUS);
        }
        Context caller = Vertx.currentContext();
        Uni<SocketIdentity> verified = Uni.createFrom().item(() -> verify(authorization))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        return caller == null ? verified : verified.emitOn(task -> caller.runOnContext(ignored -> task.run()));
    }

    private SocketIdentity verify(String authorization) {
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new TokenRefused("not a bearer token");
        }
        JsonWebToken token;
        try {
            token = parser.parse(authorization.substring(BEARER.length()).strip());
        } catch (ParseException e) {
            throw new TokenRefused(e.getMessage());
        }
        if (token.getSubject() == null) {
            throw new TokenRefused("the token names no subject");
        }
        Instant expiresAt = token.getExpirationTime() > 0 ? Instant.ofEpochSecond(token.getExpirationTime()) : null;
        return new SocketIdentity(token.getSubject(), Set.copyOf(token.getGroups()), expiresAt);
    }

    /** Why a token was refused; the client is told 401. */
    public static final class TokenRefused extends RuntimeException {
        TokenRefused(String reason) {
            super(reason, null, false, false);
        }
    }
}
