package org.acme.notifications.bench;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;
import org.acme.notifications.testsupport.TestTokens;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;

/**
 * Access tokens for the load tool's subscribers. {@code main DIR} writes a new RSA key pair there (bench.sh
 * hands {@code public.pem} to the service); the tool then signs a token per user with {@code private.pem}.
 */
final class TokenSigner {

    static final String AUDIENCE = "notifications";

    private final PrivateKey key;
    private final String issuer;

    TokenSigner(Path privateKeyPem, String issuer) throws IOException, GeneralSecurityException {
        this.key = KeyUtils.decodePrivateKey(Files.readString(privateKeyPem));
        this.issuer = issuer;
    }

    /** A token for {@code user}, valid for an hour. */
    String token(String user) {
        return token(user, Duration.ofHours(1));
    }

    String token(String user, Duration validFor) {
        return Jwt.issuer(issuer).audience(AUDIENCE).subject(user).expiresAt(Instant.now().plus(validFor)).sign(key);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        KeyPair keys = TestTokens.newKeyPair();
        Files.writeString(dir.resolve("public.pem"), TestTokens.pem("PUBLIC KEY", keys.getPublic()));
        Files.writeString(dir.resolve("private.pem"), TestTokens.pem("PRIVATE KEY", keys.getPrivate()));
    }

}
