package org.acme.notifications.access;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.jwt.auth.principal.UnmatchedTokenKidException;
import org.jose4j.lang.UnresolvableKeyException;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How a token check ends, on its own, with a parser that fails as smallrye-jwt does: a token it cannot verify is
 * refused (401), keys that cannot be had are not the token's fault (503), and a header that is no bearer token
 * leaves the caller anonymous.
 */
class AccessTokensTest {

    @Test
    void aTokenThatDoesNotVerifyIsRefused() {
        AccessTokens tokens = tokensOn(failingWith(new ParseException("Failed to verify a token",
                new IllegalArgumentException("signature mismatch"))));

        assertThrows(AccessTokens.TokenRefused.class, () -> identify(tokens, "Bearer abc"));
    }

    @Test
    void keysThatCannotBeHadAreNotTheTokensFault() {
        AccessTokens tokens = tokensOn(failingWith(new ParseException("Failed to verify a token",
                new UnresolvableKeyException("Failed to load a key from https://idp.example/jwks"))));

        assertThrows(AccessTokens.KeysUnavailable.class, () -> identify(tokens, "Bearer abc"));
    }

    @Test
    void aKeyIdTheProviderDoesNotHaveIsTheTokensFault() {
        AccessTokens tokens = tokensOn(failingWith(new ParseException("Failed to verify a token",
                new UnresolvableKeyException("no key", new UnmatchedTokenKidException("kid 'x' is unknown")))));

        assertThrows(AccessTokens.TokenRefused.class, () -> identify(tokens, "Bearer abc"));
    }

    @Test
    void noBearerTokenMeansAnonymous() {
        AccessTokens tokens = tokensOn(failingWith(new ParseException("never asked")));

        assertEquals(SocketIdentity.ANONYMOUS, identify(tokens, null));
        assertEquals(SocketIdentity.ANONYMOUS, identify(tokens, "Basic dXNlcjpwYXNz"));
    }

    /** Without a key to verify them with, every token is refused, and the parser is never asked (it would answer 503). */
    @Test
    void withTokensOffEveryTokenIsRefused() {
        AccessTokens tokens = new AccessTokens(failingWith(new ParseException("never asked",
                new UnresolvableKeyException("resourceLocation is null"))), false);

        assertThrows(AccessTokens.TokenRefused.class, () -> identify(tokens, "Bearer abc"));
        assertEquals(SocketIdentity.ANONYMOUS, identify(tokens, null));
    }

    private static AccessTokens tokensOn(JWTParser parser) {
        return new AccessTokens(parser, true);
    }

    private static SocketIdentity identify(AccessTokens tokens, String authorization) {
        return tokens.identify(authorization).await().atMost(Duration.ofSeconds(5));
    }

    /** A parser whose every parse fails with {@code failure}. */
    private static JWTParser failingWith(ParseException failure) {
        return (JWTParser) Proxy.newProxyInstance(JWTParser.class.getClassLoader(), new Class<?>[] {JWTParser.class},
                (proxy, method, args) -> {
                    throw failure;
                });
    }
}
