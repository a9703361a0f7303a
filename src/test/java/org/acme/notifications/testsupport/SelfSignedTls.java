package org.acme.notifications.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns HTTPS on for the service under test with a self-signed certificate for {@code localhost}, made by
 * the JDK's {@code keytool} into a fresh PKCS#12 keystore under {@code target/}. Plain HTTP stays on.
 */
public class SelfSignedTls implements QuarkusTestResourceLifecycleManager {

    private static final Path KEYSTORE = Path.of("target", "tls-test", "server.p12").toAbsolutePath();
    private static final String PASSWORD = UUID.randomUUID().toString();

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(KEYSTORE.getParent());
            Files.deleteIfExists(KEYSTORE);
            Process keytool = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-storetype", "PKCS12", "-keystore", KEYSTORE.toString(), "-storepass", PASSWORD))
                    .redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes());
            if (keytool.waitFor() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not make a test keystore", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Map.of(
                "quarkus.http.ssl.certificate.key-store-file", KEYSTORE.toString(),
                "quarkus.http.ssl.certificate.key-store-password", PASSWORD,
                "quarkus.http.test-ssl-port", "0");
    }

    @Override
    public void stop() {
    }

    /** A client context that trusts exactly the test's certificate. */
    public static SSLContext clientContext() {
        try (InputStream in = Files.newInputStream(KEYSTORE)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Could not read the test keystore", e);
        }
    }
}
