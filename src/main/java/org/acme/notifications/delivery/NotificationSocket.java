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
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.access.SocketAccessCheck;
import org.acme.notifications.publish.NotificationPublisher;
import org.acme.notifications.publish.PublishFailedException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;

/**
 * The socket browsers hold open. Notifications arrive here from {@link NotificationBroadcaster};
 * a client may also publish by sending {@code {"message": "..."}}.
 */
@WebSocket(path = NotificationSocket.PATH)
public class NotificationSocket {

    static final String PATH = "/ws/notifications";

    private static final Logger LOG = Logger.getLogger(NotificationSocket.class);
    private static final UserData.TypedKey<TokenBucket> PUBLISH_RATE = new UserData.TypedKey<>("publish-rate");

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;
    private final NotificationBroadcaster broadcaster;
    private final NotificationsConfig.Socket limits;

    public NotificationSocket(NotificationRequestParser parser, NotificationPublisher publisher,
                              NotificationBroadcaster broadcaster, NotificationsConfig config) {
        this.parser = parser;
        this.publisher = publisher;
        this.broadcaster = broadcaster;
        this.limits = config.socket();
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
        broadcaster.join(connection, since == null ? null : since.get(0));
    }

    @OnClose
    void onClose(WebSocketConnection connection, CloseReason reason) {
        broadcaster.leave(connection);
        LOG.debugf("Socket %s closed (%d)", connection.id(), reason.getCode());
    }

    /** Publishes through Kafka like the REST trigger; the sender sees its notification when it comes back. */
    @OnTextMessage
    Uni<Void> onMessage(String frame, WebSocketConnection connection) {
        if (!SocketAccessCheck.mayPublish(connection)) {
            return connection.sendText(new ErrorFrame("unauthorized", 401,
                    "This socket may not publish: connect with 'Authorization: Bearer <key>' or ?api-key=<key>"));
        }
        if (!connection.userData().get(PUBLISH_RATE).tryTake()) {
            return connection.sendText(new ErrorFrame("rate-limited", 429,
                    "More than " + limits.publishRate() + " notifications per second from this socket; this one was not published"));
        }
        return Uni.createFrom().item(() -> parser.fromJson(frame))
                .chain(request -> publisher.publish(request, NotificationSource.SOCKET))
                .replaceWithVoid()
                .onFailure(InvalidNotificationException.class).recoverWithUni(e -> {
                    InvalidNotificationException invalid = (InvalidNotificationException) e;
                    return connection.sendText(new ErrorFrame(invalid.code(), invalid.status(), invalid.getMessage()));
                })
                .onFailure(PublishFailedException.class).recoverWithUni(e -> {
                    LOG.warnf("Refused a notification from socket %s: %s", connection.id(), e.getMessage());
                    return connection.sendText(new ErrorFrame("kafka-unavailable", 503, PublishFailedException.DETAIL));
                });
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
