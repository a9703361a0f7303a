package org.acme.notifications.outbox;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SelfSignedTls;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * With HTTPS on, a {@code wss://} client gets its replay and the live stream, in order: every frame
 * goes through the TLS handler, the fan-out's own writes included. So does an event stream, over HTTP/2 (ALPN) and
 * HTTP/1.1.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(SelfSignedTls.class)
class TlsDeliveryTest {

    @TestHTTPResource("/")
    URI baseUri;

    @TestHTTPResource(value = "/", tls = true)
    URI tlsUri;

    @Test
    void aWssClientGetsItsReplayAndTheLiveStreamInOrder() {
        try (SocketClient plain = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(plain);
            String run = UUID.randomUUID().toString();
            List<String> missed = IntStream.range(0, 3).mapToObj(i -> "missed " + i + " " + run).toList();
            missed.forEach(Pipeline::publish);
            String since = plain.awaitNotification(missed.get(0)).get("id").asText();
            plain.awaitNotification(missed.get(2));

            HttpClient https = HttpClient.newBuilder().sslContext(SelfSignedTls.clientContext()).build();
            URI wss = URI.create(tlsUri.toString().replaceFirst("^https", "wss")).resolve("/ws/notifications?since=" + since);
            try (SocketClient secure = SocketClient.connectWithJdkClient(https.newWebSocketBuilder(), wss)) {
                secure.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
                List<String> live = IntStream.range(0, 3).mapToObj(i -> "live " + i + " " + run).toList();
                live.forEach(Pipeline::publish);
                secure.awaitNotification(live.get(2));

                assertThat(secure.messages(),
                        equalTo(List.of(missed.get(1), missed.get(2), live.get(0), live.get(1), live.get(2))));
                assertThat(secure.isOpen(), equalTo(true));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void anEventStreamOverHttpsGetsItsReplayAndTheLiveStreamInOrder(HttpClient.Version version) {
        try (SocketClient plain = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(plain);
            String run = UUID.randomUUID().toString();
            List<String> missed = IntStream.range(0, 3).mapToObj(i -> "missed " + i + " " + run).toList();
            missed.forEach(Pipeline::publish);
            String since = plain.awaitNotification(missed.get(0)).get("id").asText();
            plain.awaitNotification(missed.get(2));

            HttpClient https = HttpClient.newBuilder().version(version).sslContext(SelfSignedTls.clientContext()).build();
            try (EventStreamClient secure = EventStreamClient.open(https, tlsUri, "", Map.of("Last-Event-ID", since))) {
                secure.awaitEvent("the end of the replay", event -> event.name().equals("resumed"));
                List<String> live = IntStream.range(0, 3).mapToObj(i -> "live " + i + " " + run).toList();
                live.forEach(Pipeline::publish);
                secure.awaitNotification(live.get(2));

                assertThat(secure.version(), equalTo(version));
                assertThat(secure.messages(),
                        equalTo(List.of(missed.get(1), missed.get(2), live.get(0), live.get(1), live.get(2))));
            }
        }
    }
}
