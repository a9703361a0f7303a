package org.acme.notifications.access;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.jwt.auth.principal.UnmatchedTokenKidException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jose4j.lang.UnresolvableKeyException;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Verifies a subscriber's access token (a JWT) by signature, issuer, audience and expiry, with smallrye-jwt and the
 * {@code mp.jwt.verify.*} settings. Only the socket's upgrade asks; no other request is authenticated, so the REST
 * trigger's {@code Authorization} header (an API key) is never read as a token.
 *
 * <p>A deployment that configured no key to verify tokens with has tokens off: start-up says so, and every token is
 * refused (401) without asking smallrye-jwt, which would fail as if an identity provider were down (503).
 */
@ApplicationScoped
public class AccessTokens {

    /** Any of these configures a key that tokens are verified with (dev mode sets the first to a key of its own). */
    private static final List<String> KEY_SETTINGS = List.of("mp.jwt.verify.publickey", "mp.jwt.verify.publickey.location",
            "smallrye.jwt.verify.key.location", "smallrye.jwt.verify.secretkey");
    private static final Logger LOG = Logger.getLogger(AccessTokens.class);

    private final JWTParser parser;
    private final boolean tokensOn;

    @Inject
    public AccessTokens(JWTParser parser) {
        this(parser, KEY_SETTINGS.stream().anyMatch(name -> ConfigProvider.getConfig().getOptionalValue(name, String.class)
                .filter(value -> !value.isBlank()).isPresent()));
    }

    AccessTokens(JWTParser parser, boolean tokensOn) {
        this.parser = parser;
        this.tokensOn = tokensOn;
    }

    void sayWhetherTokensAreOn(@Observes StartupEvent event) {
        if (!tokensOn) {
            LOG.warn("Access tokens are off: no key to verify them is configured (mp.jwt.verify.publickey.location / "
                    + "MP_JWT_VERIFY_PUBLICKEY_LOCATION). Sockets that send a token are refused with 401; sockets without "
                    + "one are anonymous (broadcasts and public channels only).");
        }
    }

    /**
     * Who the {@code Authorization} header says the caller is: anonymous without a bearer token (no header, or
     * another scheme meant for something else, such as a proxy's basic auth); fails with {@link TokenRefused} for a
     * token that does not verify or names no subject, and with {@link KeysUnavailable} when the identity provider's
     * keys cannot be had. Verified on a worker thread (the first
     * verification may fetch the identity provider's keys), answered on the caller's event loop.
     */
    public Uni<SocketIdentity> identify(String authorization) {
        String token = ApiKeys.fromAuthorization(authorization);
        if (token == null) {
            return Uni.createFrom().item(SocketIdentity.ANONYMOUS);
        }
        if (!tokensOn) {
            return Uni.createFrom().failure(new TokenRefused("access tokens are off: no key to verify them is configured"));
        }
        Context caller = Vertx.currentContext();
        Uni<SocketIdentity> verified = Uni.createFrom().item(() -> verify(token))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        return caller == null ? verified : verified.emitOn(task -> caller.runOnContext(ignored -> task.run()));
    }

    private SocketIdentity verify(String bearer) {
        JsonWebToken token;
        try {
            token = parser.parse(bearer);
        } catch (ParseException e) {
            throw keysUnavailable(e) ? new KeysUnavailable(e) : new TokenRefused(reason(e));
        }
        if (token.getSubject() == null) {
            throw new TokenRefused("the token names no subject");
        }
        Instant expiresAt = token.getExpirationTime() > 0 ? Instant.ofEpochSecond(token.getExpirationTime()) : null;
        return new SocketIdentity(token.getSubject(), Set.copyOf(token.getGroups()), expiresAt);
    }

    /** smallrye-jwt reports keys it could not fetch as a failed parse; a token whose key id is unknown is the token's fault. */
    private static boolean keysUnavailable(Throwable failure) {
        boolean unresolvable = false;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof UnmatchedTokenKidException) {
                return false;
            }
            unresolvable |= cause instanceof UnresolvableKeyException;
        }
        return unresolvable;
    }

    /** The innermost message: "Failed to verify a token" alone tells an operator nothing. */
    private static String reason(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.getMessage() : failure.getMessage() + ": " + root.getMessage();
    }

    /** The identity provider's keys could not be had: not the token's fault; the client is told 503. */
    public static final class KeysUnavailable extends RuntimeException {
        KeysUnavailable(Throwable cause) {
            super(reason(cause), cause);
        }
    }

    /** Why a token was refused; the client is told 401. */
    public static final class TokenRefused extends RuntimeException {
        TokenRefused(String reason) {
            super(reason, null, false, false);
        }
    }
}
