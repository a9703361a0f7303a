package org.acme.notifications;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.socket.NotificationSocket;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.NginxProxy;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * The service behind Debian's nginx running the shipped {@code src/main/nginx/notifications.conf}: TLS at nginx, the
 * socket's upgrade, event streams over HTTP/2 and HTTP/1.1, publishing, the Origin check against the scheme and host the
 * browser used (forwarded by nginx, a trusted proxy) and the client's address in the logs; and forwarded headers from a
 * client that is not a trusted proxy ignored.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class BehindNginxTest {

    private static NginxProxy nginx;

    @TestHTTPResource("/")
    URI baseUri;

    @BeforeEach
    void nginxInFront() {
        if (nginx == null) {
            nginx = NginxProxy.start(List.of(baseUri.getPort()));
        }
    }

    @AfterAll
    static void stopNginx() {
        if (nginx != null) {
            nginx.close();
            nginx = null;
        }
    }

    @Test
    void aSocketGetsWhatIsPublishedThroughNginx() {
        HttpClient https = nginx.httpClient(HttpClient.Version.HTTP_1_1);
        URI socketUri = SocketClient.socketUri(nginx.uri(), "");
        try (SocketClient socket = SocketClient.connectWithJdkClient(https.newWebSocketBuilder().header("Origin", nginx.origin()), socketUri)) {
            Pipeline.awaitReadyPublishingWith(socket, BehindNginxTest::publishThroughNginx);
            String message = "through nginx " + UUID.randomUUID();
            publishThroughNginx(message);

            assertThat(socket.awaitNotification(message).path("message").asText(), equalTo(message));
            assertThat(socket.isOpen(), equalTo(true));
        }
    }

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void anEventStreamThroughNginxGetsEachNotificationAsItComes(HttpClient.Version version) {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
        }
        try (EventStreamClient stream = EventStreamClient.open(nginx.httpClient(version), nginx.uri(), "", Map.of("Origin", nginx.origin()))) {
            assertThat(stream.status(), equalTo(200));
            assertThat(stream.version(), equalTo(version));
            String message = "streamed through nginx " + UUID.randomUUID();
            // The stream stays open: nginx passes each event on as it comes, not when a buffer fills or the stream ends.
            await("the event through nginx").atMost(SocketClient.DELIVERY_TIMEOUT).untilAsserted(() -> {
                Pipeline.publish(message);
                assertThat(stream.notification(message).isPresent(), equalTo(true));
            });
            assertThat(stream.ended(), equalTo(false));
        }
    }

    @Test
    void theOriginCheckUsesTheSchemeAndHostTheBrowserUsedAtNginx() {
        HttpClient https = nginx.httpClient(HttpClient.Version.HTTP_1_1);
        assertThat(SocketClient.upgradeStatus(https, nginx.uri(), "", Map.of("Origin", nginx.origin())), equalTo(101));
        assertThat(SocketClient.upgradeStatus(https, nginx.uri(), "", Map.of("Origin", "http://localhost:" + nginx.port())), equalTo(403));
        assertThat(SocketClient.upgradeStatus(https, nginx.uri(), "", Map.of("Origin", "https://localhost")), equalTo(403));
        assertThat(SocketClient.upgradeStatus(https, nginx.uri(), "", Map.of("Origin", "https://localhost:" + baseUri.getPort())), equalTo(403));
        // What a client sends itself for Quarkus to read is replaced or dropped by nginx.
        assertThat(SocketClient.upgradeStatus(https, nginx.uri(), "", Map.of("Origin", "https://localhost:1",
                "X-Forwarded-Port", "1", "X-Forwarded-Host", "localhost:1")), equalTo(403));

        // The APIs the client library calls: the page's own origin needs no CORS, another gets 403.
        assertThat(get(https, "/api/inbox/counts", "Origin", nginx.origin()).statusCode(), equalTo(401));
        HttpResponse<String> elsewhere = get(https, "/api/inbox/counts", "Origin", "http://localhost:" + nginx.port());
        assertThat(elsewhere.statusCode(), equalTo(403));
        assertThat(elsewhere.body(), containsString("https://localhost:" + nginx.port()));
    }

    @Test
    void forwardedHeadersFromAClientThatIsNotATrustedProxyAreIgnored() {
        String direct = "http://localhost:" + baseUri.getPort();
        Map<String, String> forged = Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example");

        assertThat(SocketClient.upgradeStatus(baseUri, "", Map.of("Origin", direct)), equalTo(101));
        assertThat(SocketClient.upgradeStatus(baseUri, "", with(forged, "Origin", "https://evil.example")), equalTo(403));
        assertThat(SocketClient.upgradeStatus(baseUri, "", with(forged, "Origin", direct)), equalTo(101));
        given().headers(with(forged, "Origin", "https://evil.example")).get("/api/inbox/counts").then().statusCode(403);
    }

    @Test
    void theLogsShowTheClientsAddressNotNginxsNorAForgedOne() throws IOException {
        try (LogLines accessLog = LogLines.of("io.quarkus.http.access-log"); LogLines socketLog = LogLines.of(NotificationSocket.class.getName())) {
            String throughNginx = "/api/nowhere-" + UUID.randomUUID();
            assertThat(requestFrom("127.0.0.3", "GET " + throughNginx + "?access_token=not-for-the-log HTTP/1.1\r\n"), startsWith("HTTP/1.1 404"));
            String forged = "/api/nowhere-" + UUID.randomUUID();
            given().header("X-Forwarded-For", "203.0.113.9").get(forged + "?api-key=not-for-the-log").then().statusCode(404);
            // A socket opened from 127.0.0.4 through nginx, then dropped: its line comes when it closes.
            assertThat(requestFrom("127.0.0.4", "GET /ws/notifications HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), startsWith("HTTP/1.1 101"));

            assertThat(accessLog.await(throughNginx), startsWith("127.0.0.3 "));
            assertThat(accessLog.await(forged), startsWith("127.0.0.1 "));
            assertThat(socketLog.await(" from 127.0.0.4 (anonymous) closed with"), containsString("after"));
            assertThat(String.join("\n", accessLog.lines), not(containsString("not-for-the-log")));
        }
    }

    /** Long-lived connections outlast what keeps them alive: pings on the socket, keep-alive comments on a stream. */
    @Test
    void nginxWaitsLongerThanThePingsAndKeepAlives() throws IOException {
        String shipped = Files.readString(Path.of("src", "main", "nginx", "notifications.conf"));
        Duration pings = ConfigProvider.getConfig().getValue("quarkus.websockets-next.server.auto-ping-interval", Duration.class);
        Duration keepAlives = ConfigProvider.getConfig().getValue("notifications.sse.keep-alive", Duration.class);

        assertThat(readTimeout(location(shipped, "/ws/")), greaterThan(pings.multipliedBy(2)));
        assertThat(readTimeout(location(shipped, "/sse/")), greaterThan(keepAlives.multipliedBy(2)));
        assertThat(location(shipped, "/sse/"), containsString("proxy_buffering off;"));
    }

    private static void publishThroughNginx(String message) {
        HttpResponse<String> response = send(nginx.httpClient(HttpClient.Version.HTTP_2), HttpRequest.newBuilder(nginx.uri().resolve("/api/notifications"))
                .header("Content-Type", "application/json").header("Origin", nginx.origin())
                .POST(HttpRequest.BodyPublishers.ofString(Json.object("message", message))).build());
        assertThat(response.body(), response.statusCode(), equalTo(202));
        assertThat(response.version(), equalTo(HttpClient.Version.HTTP_2));
    }

    private static HttpResponse<String> get(HttpClient client, String path, String header, String value) {
        return send(client, HttpRequest.newBuilder(nginx.uri().resolve(path)).header(header, value).GET().build());
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * One HTTP/1.1 request to nginx from the local address {@code from}: {@code head} is its request line and headers
     * but Host; the status line of the answer, read before the connection is dropped.
     */
    private static String requestFrom(String from, String head) throws IOException {
        try (SSLSocket socket = (SSLSocket) nginx.sslContext().getSocketFactory()
                .createSocket(InetAddress.getByName("127.0.0.1"), nginx.port(), InetAddress.getByName(from), 0)) {
            OutputStream out = socket.getOutputStream();
            out.write((head + "Host: localhost:" + nginx.port() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder statusLine = new StringBuilder();
            for (int b = in.read(); b != -1 && b != '\r'; b = in.read()) {
                statusLine.append((char) b);
            }
            return statusLine.toString();
        }
    }

    /** What one logger writes while open, formatted. */
    private static final class LogLines extends Handler implements AutoCloseable {

        final List<String> lines = new CopyOnWriteArrayList<>();
        private final Logger logger;

        private LogLines(Logger logger) {
            this.logger = logger;
        }

        static LogLines of(String category) {
            LogLines recorder = new LogLines(Logger.getLogger(category));
            recorder.logger.addHandler(recorder);
            return recorder;
        }

        /** The first line that contains {@code text}, once written. */
        String await(String text) {
            return Awaitility.await("a line with " + text + " from " + logger.getName()).atMost(Duration.ofSeconds(10))
                    .until(() -> lines.stream().filter(line -> line.contains(text)).findFirst(), Optional::isPresent).orElseThrow();
        }

        @Override
        public void publish(LogRecord record) {
            lines.add(record instanceof ExtLogRecord formatted ? formatted.getFormattedMessage() : record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    private static String location(String conf, String path) {
        Matcher block = Pattern.compile("location " + Pattern.quote(path) + " \\{([^}]*)}").matcher(conf);
        assertThat("a location " + path + " in the shipped nginx configuration", block.find(), equalTo(true));
        return block.group(1);
    }

    private static Duration readTimeout(String location) {
        Matcher timeout = Pattern.compile("proxy_read_timeout (\\d+)s;").matcher(location);
        assertThat("proxy_read_timeout in " + location, timeout.find(), equalTo(true));
        return Duration.ofSeconds(Long.parseLong(timeout.group(1)));
    }

    private static Map<String, String> with(Map<String, String> headers, String name, String value) {
        Map<String, String> all = new HashMap<>(headers);
        all.put(name, value);
        return all;
    }
}
