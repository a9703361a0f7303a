package org.acme.notifications.sse;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.ConnectionOutbox;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The event streams open on this instance, each with its timers: a keep-alive comment every
 * {@code notifications.sse.keep-alive}, and its end at its access token's expiry ({@link CloseCode#TOKEN_EXPIRED}). On
 * SIGTERM each is ended with {@link CloseCode#GOING_AWAY} while the HTTP server still runs, as sockets are, so that
 * browsers reconnect to another replica with their {@code Last-Event-ID}.
 */
@ApplicationScoped
class OpenStreams {

    private static final Logger LOG = Logger.getLogger(OpenStreams.class);

    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private final ConnectionPlaces places;
    private final long keepAliveMillis;

    OpenStreams(ConnectionPlaces places, NotificationsConfig config) {
        this.places = places;
        this.keepAliveMillis = config.sse().keepAlive().toMillis();
    }

    /** One open stream; it ends once, whoever ends it. Touched on its event loop. */
    final class Stream {
        private final ConnectionOutbox outbox;
        private final EventStreamTransport transport;
        private final Runnable onEnd;
        private boolean ended;
        private ScheduledFuture<?> keepAlive;
        private ScheduledFuture<?> expiry;

        private Stream(ConnectionOutbox outbox, EventStreamTransport transport, Runnable onEnd) {
            this.outbox = outbox;
            this.transport = transport;
            this.onEnd = onEnd;
        }

        /** The response ended, or its connection closed. */
        private void ended() {
            if (ended) {
                return;
            }
            ended = true;
            keepAlive.cancel(false);
            if (expiry != null) {
                expiry.cancel(false);
            }
            open.remove(this);
            onEnd.run();
        }

        private CompletableFuture<Void> close(CloseCode why) {
            transport.loop().execute(() -> outbox.close(why));
            return transport.gone;
        }
    }

    /** On the stream's event loop, as it opens: {@code onEnd} runs once when it ends. */
    void opened(ConnectionOutbox outbox, EventStreamTransport transport, Instant expiresAt, Runnable onEnd) {
        Stream stream = new Stream(outbox, transport, onEnd);
        stream.keepAlive = transport.loop().scheduleAtFixedRate(transport::keepAlive, keepAliveMillis, keepAliveMillis, TimeUnit.MILLISECONDS);
        if (expiresAt != null) {
            long delay = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
            stream.expiry = transport.loop().schedule(() -> outbox.close(CloseCode.TOKEN_EXPIRED), delay, TimeUnit.MILLISECONDS);
        }
        open.add(stream);
        transport.whenEnded(stream::ended);
        if (places.stoppedTaking()) {
            stream.close(CloseCode.GOING_AWAY); // it took its place before the shutdown, and was not among those told
        }
    }

    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        places.stopTaking(); // no stream opens after the open ones were told to go
        if (open.isEmpty()) {
            return;
        }
        LOG.infof("Ending %d event streams with 1001 (going away)", open.size());
        CompletableFuture<?>[] ends = open.stream().map(stream -> stream.close(CloseCode.GOING_AWAY)).toArray(CompletableFuture[]::new);
        try {
            // The HTTP server stops right after this observer: let the close events be written first.
            CompletableFuture.allOf(ends).get(5, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warnf("Not every event stream ended within 5 s: %s", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
