package org.acme.notifications.testsupport;

import org.acme.notifications.kafka.KafkaBrokerProcess;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Debian's nginx running the shipped {@code src/main/nginx/notifications.conf} in front of the service, on
 * {@code https://localhost:<port>} with a self-signed certificate. Only what a machine needs changes: the replicas'
 * addresses, the listening ports, the server name and the certificate's paths; and {@code proxy_bind 127.0.0.2}, so
 * that the service can tell nginx (its trusted proxy in the tests) from a client that connects to it directly from
 * 127.0.0.1. Without nginx the test is aborted with a notice, and fails under {@code CI}, as the browser tests are.
 */
public final class NginxProxy implements AutoCloseable {

    /** Where the tests' nginx connects to the replicas from ({@code %test.quarkus.http.proxy.trusted-proxies}). */
    public static final String PROXY_ADDRESS = "127.0.0.2";

    private static final Path SHIPPED = Path.of("src", "main", "nginx", "notifications.conf");

    private final Process nginx;
    private final Path directory;
    private final int httpsPort;
    private final SSLContext trust;

    private NginxProxy(Process nginx, Path directory, int httpsPort, SSLContext trust) {
        this.nginx = nginx;
        this.directory = directory;
        this.httpsPort = httpsPort;
        this.trust = trust;
    }

    /** Starts nginx in front of the replicas on 127.0.0.1 at {@code replicaPorts}, and waits until it accepts connections. */
    public static NginxProxy start(List<Integer> replicaPorts) {
        try {
            Path directory = Files.createDirectories(Path.of("target", "nginx-" + UUID.randomUUID()).toAbsolutePath());
            run(directory, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "server.key", "-out", "server.crt", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
            int httpPort = KafkaBrokerProcess.freePort();
            int httpsPort = KafkaBrokerProcess.freePort();
            Files.writeString(directory.resolve("notifications.conf"), adapted(Files.readString(SHIPPED), replicaPorts, httpPort, httpsPort, directory));
            Files.writeString(directory.resolve("nginx.conf"), String.join("\n",
                    "daemon off;",
                    "worker_processes 1;",
                    "worker_rlimit_nofile 20000;",
                    "pid " + directory.resolve("nginx.pid") + ";",
                    "error_log " + directory.resolve("error.log") + " warn;",
                    "events { worker_connections 10000; }",
                    "http {",
                    // Where a request's time went: to connect to a replica, to its answer's header (a 101 for a socket), in all.
                    "    log_format timed '$remote_addr [$time_local] \"$request\" $status upstream $upstream_addr"
                            + " connect $upstream_connect_time header $upstream_header_time total $request_time';",
                    "    access_log " + directory.resolve("access.log") + " timed;",
                    "    client_body_temp_path " + directory.resolve("body") + ";",
                    "    proxy_temp_path " + directory.resolve("proxy") + ";",
                    "    include " + directory.resolve("notifications.conf") + ";",
                    "}", ""));
            Process nginx = new ProcessBuilder(nginxBinary(), "-p", directory.toString(), "-c", directory.resolve("nginx.conf").toString(),
                    "-e", directory.resolve("error.log").toString())
                    .redirectErrorStream(true).redirectOutput(directory.resolve("nginx.out").toFile()).start();
            NginxProxy proxy = new NginxProxy(nginx, directory, httpsPort, trusting(directory.resolve("server.crt")));
            await("nginx to listen on " + httpsPort).atMost(Duration.ofSeconds(10)).until(() -> {
                if (!nginx.isAlive()) {
                    throw new IllegalStateException("nginx exited: " + proxy.errors());
                }
                try (Socket probe = new Socket()) {
                    probe.connect(new InetSocketAddress("127.0.0.1", httpsPort), 200);
                    return true;
                } catch (IOException notYet) {
                    return false;
                }
            });
            return proxy;
        } catch (IOException e) {
            throw new IllegalStateException("Could not start nginx", e);
        }
    }

    /** The shipped file, pointed at this machine; each change must apply, or the shipped file moved on without this. */
    static String adapted(String shipped, List<Integer> replicaPorts, int httpPort, int httpsPort, Path directory) {
        String replicas = replicaPorts.stream().map(port -> "    server 127.0.0.1:" + port + " max_fails=1 fail_timeout=5s;")
                .collect(Collectors.joining("\n"));
        String conf = replace(shipped, "(?m)^    server 10\\.0\\.0\\.11:8080 .*\\n    server 10\\.0\\.0\\.12:8080 .*$", replicas);
        conf = replace(conf, "(?m)^    listen \\[::\\]:.*\\n", "");
        conf = replace(conf, "(?m)^    listen 80;$", "    listen 127.0.0.1:" + httpPort + ";");
        conf = replace(conf, "(?m)^    listen 443 ssl http2;$", "    listen 127.0.0.1:" + httpsPort + " ssl http2;");
        conf = replace(conf, "server_name notify\\.example\\.com;", "server_name localhost;");
        conf = replace(conf, "/etc/nginx/tls/notify\\.example\\.com\\.crt", directory.resolve("server.crt").toString());
        conf = replace(conf, "/etc/nginx/tls/notify\\.example\\.com\\.key", directory.resolve("server.key").toString());
        return replace(conf, "(?m)^    proxy_http_version 1\\.1;$", "    proxy_http_version 1.1;\n    proxy_bind " + PROXY_ADDRESS + ";");
    }

    private static String replace(String text, String regex, String replacement) {
        String replaced = text.replaceAll(regex, Matcher.quoteReplacement(replacement));
        if (replaced.equals(text)) {
            throw new IllegalStateException("src/main/nginx/notifications.conf no longer has " + regex);
        }
        return replaced;
    }

    /** {@code https://localhost:<port>/}: what a browser would have in its address bar. */
    public URI uri() {
        return URI.create("https://localhost:" + httpsPort + "/");
    }

    /** The origin of the pages nginx serves, as a browser would send it. */
    public String origin() {
        return "https://localhost:" + httpsPort;
    }

    public int port() {
        return httpsPort;
    }

    /** nginx's self-signed certificate (PEM), for a client that trusts exactly it. */
    public Path certificate() {
        return directory.resolve("server.crt");
    }

    /** A client context that trusts exactly nginx's certificate. */
    public SSLContext sslContext() {
        return trust;
    }

    public HttpClient httpClient(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).sslContext(trust).build();
    }

    /** What nginx wrote to its error log. */
    public String errors() {
        try {
            Path log = directory.resolve("error.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A fast shutdown (SIGTERM): nginx closes every connection it proxies. */
    @Override
    public void close() {
        nginx.destroy();
        try {
            nginx.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String nginxBinary() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String missing = "No nginx on this machine: apt-get install nginx-light (.ci/run installs it)";
        if (System.getenv("CI") != null) {
            fail(missing); // CI installs it: a missing nginx there is a broken build, not a skip.
        }
        abort(missing);
        return null;
    }

    private static SSLContext trusting(Path certificate) {
        try (InputStream in = Files.newInputStream(certificate)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("nginx", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Could not read nginx's certificate", e);
        }
    }

    private static void run(Path directory, String... command) throws IOException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
