package org.acme.notifications.socket;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.websockets.next.HandshakeRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * An open socket does not keep its upgrade request: the request's routing context (and with it the request, its
 * headers and the rest, 4,104 bytes per socket) can be collected while the socket stays open and keeps receiving.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class UpgradeRequestReleaseTest {

    @TestHTTPResource("/")
    URI baseUri;

    @Inject
    LastUpgrade lastUpgrade;

    @Test
    void anAnonymousSocketLetsItsUpgradeRequestGo() {
        assertUpgradeRequestCollected(null);
    }

    @Test
    void aSignedInSocketLetsItsUpgradeRequestGo() {
        assertUpgradeRequestCollected(TestTokens.token("user-" + UUID.randomUUID()));
    }

    /** Opens a socket (with {@code token}, when not null) whose upgrade carries a marker header, so that it is ours. */
    private void assertUpgradeRequestCollected(String token) {
        String marker = UUID.randomUUID().toString();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().header(LastUpgrade.MARKER, marker);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        try (SocketClient client = SocketClient.connectWithJdkClient(builder, SocketClient.socketUri(baseUri, ""))) {
            Pipeline.awaitReady(client);
            WeakReference<RoutingContext> upgrade = lastUpgrade.of(marker);
            assertThat(upgrade, notNullValue());

            await("the upgrade's routing context collected while the socket is open").atMost(Duration.ofSeconds(20))
                    .until(() -> {
                        System.gc();
                        return upgrade.get() == null;
                    });

            String message = "after the upgrade request went " + UUID.randomUUID();
            Pipeline.publish(message);
            client.awaitNotification(message);
            assertThat(client.isOpen(), is(true));
        }
    }

    /** Remembers, weakly, the routing context of each upgrade of the socket's path that carries a marker. */
    @ApplicationScoped
    static class LastUpgrade {

        static final String MARKER = "X-Test-Upgrade-Marker";

        private final Map<String, WeakReference<RoutingContext>> upgrades = new ConcurrentHashMap<>();

        void register(@Observes Filters filters) {
            filters.register(context -> {
                String marker = context.request().getHeader(MARKER);
                if (marker != null && context.request().headers().contains(HandshakeRequest.SEC_WEBSOCKET_KEY)) {
                    upgrades.put(marker, new WeakReference<>(context));
                }
                context.next();
            }, Integer.MAX_VALUE);
        }

        WeakReference<RoutingContext> of(String marker) {
            return upgrades.remove(marker);
        }
    }
}
