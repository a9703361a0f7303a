package org.acme.notifications.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

import io.smallrye.jwt.util.KeyUtils;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * Real signed access tokens for the tests: every test application verifies tokens against this key pair's public
 * key, with the issuer and audience below, exactly as production verifies an identity provider's tokens.
 */
@WithTestResource(value = TestTokens.class, scope = TestResourceScope.GLOBAL)
public class TestTokens implements QuarkusTestResourceLifecycleManager {

    public static final String ISSUER = "notifications-test";
    public static final String AUDIENCE = "notifications";
    // Kept in system properties: this class may be loaded by more than one class loader (the test resource's and
    // the tests'), and all of them must sign with the key the service verifies with.
    private static final String PUBLIC_KEY = "test-tokens.public-key";
    private static final String PRIVATE_KEY = "test-tokens.private-key";

    @Override
    public Map<String, String> start() {
        keys();
        return Map.of("mp.jwt.verify.publickey", System.getProperty(PUBLIC_KEY),
                "mp.jwt.verify.issuer", ISSUER,
                "smallrye.jwt.sign.key", System.getProperty(PRIVATE_KEY));
    }

    @Override
    public void stop() {
    }

    /** A token for {@code user}, valid for an hour, in {@code groups}. */
    public static String token(String user, String... groups) {
        return sign(claims(user).groups(Set.of(groups)));
    }

    /** The claims of a valid token, to change one of them. */
    public static JwtClaimsBuilder claims(String user) {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject(user).expiresAt(Instant.now().plusSeconds(3600));
    }

    public static String sign(JwtClaimsBuilder claims) {
        try {
            return claims.sign(KeyUtils.decodePrivateKey(keys()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The private key's PEM text, made once per JVM. */
    private static String keys() {
        synchronized (System.getProperties()) {
            if (System.getProperty(PRIVATE_KEY) == null) {
                KeyPair keys = newKeyPair();
                System.setProperty(PUBLIC_KEY, pem("PUBLIC KEY", keys.getPublic()));
                System.setProperty(PRIVATE_KEY, pem("PRIVATE KEY", keys.getPrivate()));
            }
            return System.getProperty(PRIVATE_KEY);
        }
    }

    /** Signed by a key the service does not know. */
    public static String signWithAnotherKey(JwtClaimsBuilder claims) {
        return claims.sign(newKeyPair().getPrivate());
    }

    /** A new 2048-bit RSA key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has RSA", e);
        }
    }

    /** PEM text of a key: {@code type} is {@code PUBLIC KEY} or {@code PRIVATE KEY}. */
    public static String pem(String type, Key key) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END " + type + "-----\n";
    }
}
