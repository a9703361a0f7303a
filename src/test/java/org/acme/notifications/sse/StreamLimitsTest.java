package org.acme.notifications.sse;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.socket.SocketLimitsTest;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.BacklogLoad;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The socket's limits hold for event streams (the same profile as {@link SocketLimitsTest}: 4 connections, 300
 * frames waiting, a keep-alive every second): a stream that does not read is ended (4008) and counted while a reading
 * one gets everything, sockets and streams share one connection limit, and an idle stream gets its keep-alives.
 */
@QuarkusTest
@TestProfile(SocketLimitsTest.SmallLimits.class)
@WithTestResource(KafkaBrokerResource.class)
class StreamLimitsTest {

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    /**
     * Two streams stop reading: the one that reads again once told gets its close event; the one that never does is
     * dropped after the grace unless its kernel buffers took all that was left: its TCP connection is closed (over
     * HTTP/1.1 the response's end cannot be taken back), and only then is its place free. Either way nothing of it is
     * left hanging: read after its place is free, it ends.
     */
    @Test
    void aStreamThatDoesNotReadIsEndedAndCountedWhileOneThatReadsGetsEverything() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
        }
        await("no connection open").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> Metrics.value(baseUri, "notifications_connections") == 0);
        try (EventStreamClient healthy = NotificationStreamTest.joined(EventStreamClient.open(baseUri, "", Map.of()));
             Socket readsWhenTold = stalledStream(); Socket neverReads = stalledStream()) {
            double slowBefore = Metrics.value(baseUri, "notifications_slow_disconnects_total");
            String run = UUID.randomUUID().toString();
            List<String> sent = BacklogLoad.send(bootstrapServers, run, message -> healthy.notification(message).isPresent(), healthy::ended);

            await("both stalled streams ended").atMost(Duration.ofSeconds(90))
                    .until(() -> Metrics.value(baseUri, "notifications_slow_disconnects_total") >= slowBefore + 2);
            assertThat(readUntilClosed(readsWhenTold), containsString("event: close\ndata: {\"type\":\"close\",\"code\":4008"));

            await("the stream that never read is gone after its grace").atMost(Duration.ofSeconds(30))
                    .until(() -> Metrics.value(baseUri, "notifications_connections") == 1);
            readUntilClosed(neverReads); // dropped, or its end was written: either way the read ends, and does not time out

            assertThat(healthy.messages().stream().filter(message -> message.contains(run)).count(), equalTo((long) sent.size()));
            assertThat(healthy.ended(), equalTo(false));
        }
    }

    @Test
    void socketsAndStreamsShareOneConnectionLimit() {
        await("no connection open").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> Metrics.value(baseUri, "notifications_connections") == 0);
        List<EventStreamClient> streams = new ArrayList<>();
        try (SocketClient first = SocketClient.connect(baseUri); SocketClient second = SocketClient.connect(baseUri)) {
            streams.add(NotificationStreamTest.joined(EventStreamClient.open(baseUri, "", Map.of())));
            streams.add(NotificationStreamTest.joined(EventStreamClient.open(baseUri, "", Map.of())));

            EventStreamClient fifth = EventStreamClient.open(baseUri, "", Map.of());
            assertThat(fifth.status(), equalTo(503));
            assertThat(fifth.problem().path("type").asText(), equalTo("urn:notifications:problem:too-many-connections"));
            assertThat(SocketClient.upgradeStatus(baseUri, Map.of()), equalTo(503));

            streams.remove(0).close();
            await("the place of the stream that ended is free").atMost(SocketClient.DELIVERY_TIMEOUT)
                    .until(() -> SocketClient.upgradeStatus(baseUri, Map.of()) == 101);
        } finally {
            streams.forEach(EventStreamClient::close);
        }
    }

    @Test
    void anIdleStreamGetsKeepAliveComments() {
        try (EventStreamClient idle = NotificationStreamTest.joined(EventStreamClient.open(baseUri, "", Map.of()))) {
            await("two keep-alive comments (notifications.sse.keep-alive=1s)").atMost(SocketClient.DELIVERY_TIMEOUT)
                    .until(() -> idle.comments().stream().filter("keep-alive"::equals).count() >= 2);
            assertThat(idle.ended(), equalTo(false));
        }
    }

    /** A client that sends its request, reads the answer's status line and headers, and then does not read. */
    private Socket stalledStream() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(baseUri.getHost(), baseUri.getPort()));
        String request = "GET /sse/notifications HTTP/1.1\r\nHost: " + baseUri.getHost() + ":" + baseUri.getPort() + "\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        while (!headers.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            headers.write(in.read());
        }
        assertThat(headers.toString(StandardCharsets.US_ASCII), containsString("200 OK"));
        return socket;
    }

    /** What waited for the client, up to the end of the response (its last chunk) or of the connection. */
    private static String readUntilClosed(Socket socket) throws IOException {
        socket.setSoTimeout((int) SocketClient.DELIVERY_TIMEOUT.toMillis());
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        String tail = "";
        for (int n; !tail.endsWith("\r\n0\r\n\r\n") && (n = socket.getInputStream().read(buffer)) > 0; ) {
            read.write(buffer, 0, n);
            String last = tail + new String(buffer, Math.max(0, n - 16), Math.min(n, 16), StandardCharsets.US_ASCII);
            tail = last.substring(Math.max(0, last.length() - 16));
        }
        return read.toString(StandardCharsets.UTF_8);
    }
}
