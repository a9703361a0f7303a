package org.acme.notifications.bench;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Base64;

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

    String token(String user) {
        return Jwt.issuer(issuer).audience(AUDIENCE).subject(user).expiresAt(Instant.now().plusSeconds(3600)).sign(key);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        Files.writeString(dir.resolve("public.pem"), pem("PUBLIC KEY", keys.getPublic()));
        Files.writeString(dir.resolve("private.pem"), pem("PRIVATE KEY", keys.getPrivate()));
    }

    private static String pem(String type, Key key) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END " + type + "-----\n";
    }
}
