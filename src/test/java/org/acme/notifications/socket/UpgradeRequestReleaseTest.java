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
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * An open socket does not keep its upgrade request: the request's routing context (and with it the request, its
 * headers and the rest, ~4 KB per socket) can be collected while the socket stays open and keeps receiving.
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
        assertUpgradeRequestCollected(() -> SocketClient.connect(baseUri));
    }

    @Test
    void aSignedInSocketLetsItsUpgradeRequestGo() {
        assertUpgradeRequestCollected(() -> SocketClient.connectWithToken(baseUri, TestTokens.token("user-" + UUID.randomUUID()), ""));
    }

    private void assertUpgradeRequestCollected(Supplier<SocketClient> connect) {
        lastUpgrade.forget();
        try (SocketClient client = connect.get()) {
            Pipeline.awaitReady(client);
            WeakReference<RoutingContext> upgrade = lastUpgrade.get();
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

    /** Remembers, weakly, the routing context of the latest upgrade of the socket's path. */
    @ApplicationScoped
    static class LastUpgrade {

        private volatile WeakReference<RoutingContext> last;

        void register(@Observes Filters filters) {
            filters.register(context -> {
                if (context.request().headers().contains(HandshakeRequest.SEC_WEBSOCKET_KEY)
                        && NotificationSocket.PATH.equals(context.normalizedPath())) {
                    last = new WeakReference<>(context);
                }
                context.next();
            }, Integer.MAX_VALUE);
        }

        WeakReference<RoutingContext> get() {
            return last;
        }

        void forget() {
            last = null;
        }
    }
}
