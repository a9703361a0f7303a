package org.acme.notifications.delivery;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.common.annotation.NonBlocking;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.access.PublishRates;
import org.acme.notifications.access.SocketAccessCheck;
import org.acme.notifications.access.TokenBucket;
import org.acme.notifications.publish.NotificationPublisher;
import org.acme.notifications.publish.PublishFailedException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket browsers hold open. Notifications arrive here from {@link NotificationBroadcaster};
 * a client may also publish by sending {@code {"message": "..."}}.
 */
@WebSocket(path = NotificationSocket.PATH)
public class NotificationSocket {

    static final String PATH = "/ws/notifications";

    /** Error frames written to one socket and not yet taken by the kernel; past it, the client is not reading. */
    static final int MAX_UNREAD_REPLIES = 100;

    private static final Logger LOG = Logger.getLogger(NotificationSocket.class);
    private static final UserData.TypedKey<TokenBucket> PUBLISH_RATE = new UserData.TypedKey<>("publish-rate");
    private static final UserData.TypedKey<Replies> REPLIES = new UserData.TypedKey<>("replies");

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;
    private final NotificationBroadcaster broadcaster;
    private final NotificationsConfig.Socket limits;
    private final NotificationMetrics metrics;
    private final PublishRates publishRates;

    public NotificationSocket(NotificationRequestParser parser, NotificationPublisher publisher, NotificationBroadcaster broadcaster,
                              NotificationsConfig config, NotificationMetrics metrics, PublishRates publishRates) {
        this.parser = parser;
        this.publisher = publisher;
        this.broadcaster = broadcaster;
        this.limits = config.socket();
        this.metrics = metrics;
        this.publishRates = publishRates;
    }

    /**
     * {@code ?since=<id>}: first replay what came after that notification, then go live. On the
     * connection's own event loop, so that the replayed frames are written in order.
     */
    @OnOpen
    @NonBlocking
    void onOpen(WebSocketConnection connection) {
        String query = connection.handshakeRequest().query();
        List<String> since = query == null ? null : new QueryStringDecoder(query, false).parameters().get("since");
        LOG.debugf("Socket %s opened%s", connection.id(), since == null ? "" : " resuming after " + since.get(0));
        connection.userData().put(PUBLISH_RATE, new TokenBucket(limits.publishRate(), limits.publishBurst()));
        connection.userData().put(REPLIES, new Replies());
        broadcaster.join(connection, since == null ? null : since.get(0));
    }

    @OnClose
    void onClose(WebSocketConnection connection, CloseReason reason) {
        broadcaster.leave(connection);
        LOG.debugf("Socket %s closed (%d)", connection.id(), reason.getCode());
    }

    /**
     * Publishes through Kafka like the REST trigger; the sender sees its notification when it comes back.
     * Returns at once, before Kafka answers: websockets-next hands a socket its frames one at a time, so a
     * handler that waited would queue every later frame of that socket, without bound.
     */
    @OnTextMessage
    @NonBlocking
    void onMessage(String frame, WebSocketConnection connection) {
        if (!SocketAccessCheck.mayPublish(connection)) {
            reply(connection, new ErrorFrame("unauthorized", 401,
                    "This socket may not publish: connect with 'Authorization: Bearer <key>' or ?api-key=<key>"));
            return;
        }
        if (!connection.userData().get(PUBLISH_RATE).tryTake()) {
            reply(connection, new ErrorFrame("rate-limited", 429,
                    "More than " + limits.publishRate() + " notifications per second from this socket; this one was not published"));
            return;
        }
        if (!publishRates.tryTake(SocketAccessCheck.apiKeyIndex(connection))) {
            reply(connection, new ErrorFrame("rate-limited", 429, PublishRates.DETAIL));
            return;
        }
        Uni.createFrom().item(() -> parser.fromJson(frame))
                .chain(request -> publisher.publish(request, NotificationSource.SOCKET))
                .subscribe().with(published -> {
                }, failure -> {
                    if (failure instanceof InvalidNotificationException invalid) {
                        reply(connection, new ErrorFrame(invalid.code(), invalid.status(), invalid.getMessage()));
                    } else if (failure instanceof PublishFailedException) {
                        LOG.warnf("Refused a notification from socket %s: %s", connection.id(), failure.getMessage());
                        reply(connection, new ErrorFrame("kafka-unavailable", 503, PublishFailedException.DETAIL));
                    } else {
                        LOG.errorf(failure, "Socket %s failed", connection.id());
                        connection.close(new CloseReason(1011, "unexpected error")).subscribe().with(ignored -> {
                        }, closing -> LOG.debugf("Closing socket %s failed: %s", connection.id(), closing.getMessage()));
                    }
                });
    }

    /**
     * Sends an error frame without waiting for it, unless this client keeps sending without reading what it
     * is told: its replies would then pile up here without bound, and the socket is closed with 4008 instead.
     */
    private void reply(WebSocketConnection connection, ErrorFrame frame) {
        Replies replies = connection.userData().get(REPLIES);
        if (replies.unread.incrementAndGet() > MAX_UNREAD_REPLIES) {
            replies.unread.decrementAndGet();
            if (replies.closing.compareAndSet(false, true)) {
                LOG.debugf("Closing socket %s: it sends frames and does not read the replies", connection.id());
                // No grace: it has shown it reads nothing, and every frame it goes on sending costs work here.
                SocketOutbox.closeTooSlow(connection, SocketChannels.of(connection), "sends frames but reads no replies",
                        Duration.ZERO, metrics);
            }
            return;
        }
        connection.sendText(frame).subscribe().with(written -> replies.unread.decrementAndGet(), failure -> {
            replies.unread.decrementAndGet();
            LOG.debugf("Could not reply to socket %s: %s", connection.id(), failure.getMessage());
        });
    }

    /** The error frames on their way to one socket; replies come from the event loop and from Kafka's callbacks. */
    private static final class Replies {
        final AtomicInteger unread = new AtomicInteger();
        final AtomicBoolean closing = new AtomicBoolean();
    }

    /** The socket speaks JSON text: a binary frame closes it with 1003 (unsupported data). */
    @OnBinaryMessage
    Uni<Void> onBinaryMessage(Buffer frame, WebSocketConnection connection) {
        LOG.debugf("Socket %s sent a binary frame", connection.id());
        return connection.close(new CloseReason(1003, "binary frames are not supported: send JSON text"));
    }

    /**
     * Vert.x refuses a frame over quarkus.websockets-next.server.max-message-size with an
     * IllegalStateException and no close; the client is owed a 1009 (message too big).
     */
    @OnError
    Uni<Void> onError(IllegalStateException failure, WebSocketConnection connection) {
        if (failure.getMessage() != null && failure.getMessage().contains("max message size")) {
            LOG.debugf("Socket %s sent a frame over the size limit", connection.id());
            return connection.close(new CloseReason(1009, "frame too large"));
        }
        LOG.warnf(failure, "Socket %s failed", connection.id());
        return connection.close(new CloseReason(1011, "unexpected error"));
    }

    /**
     * A client that vanished (connection reset, broken pipe: a phone that lost its network, a killed
     * browser) is not an error of this service: the connection is already gone, there is nothing to close.
     */
    @OnError
    void onConnectionLost(IOException failure, WebSocketConnection connection) {
        LOG.debugf("Socket %s lost: %s", connection.id(), failure.getMessage());
    }

    /** Tells a client what went wrong with a frame it sent; control frames carry a {@code type} and never a {@code message}. */
    @RegisterForReflection
    record ErrorFrame(String type, String code, int status, String detail) {
        ErrorFrame(String code, int status, String detail) {
            this("error", code, status, detail);
        }
    }
}
