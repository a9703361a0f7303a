package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.InboundProcessingMode;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.SubscriberQuery;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.inbox.InboxEvents;
import org.acme.notifications.outbox.ConnectionOutbox;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.acme.notifications.routing.Subscriber;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * The socket browsers hold open: the endpoint's callbacks. Notifications arrive here from {@link NotificationBroadcaster}: broadcasts,
 * those for the socket's user, and those of the channels it subscribed to ({@code ?channels=a,b}, or the frames
 * {@code {"type": "subscribe", "channel": "a"}} and {@code {"type": "unsubscribe", ...}}). A client may also
 * publish by sending {@code {"message": "..."}}.
 *
 * <p>Inbound processing is {@code CONCURRENT} only in name: websockets-next (3.33) queues the open, each frame, each
 * error and the close of a socket as tasks on its event loop, in arrival order, and the open, text-frame and close
 * callbacks here do their work there before returning, so they run one after the other (a binary frame or an
 * oversized one only starts closing the socket). The default ({@code SERIAL}) would give every socket a queue of its
 * own, ~1 KB, to wait for asynchronous callbacks (docs/performance.md: memory per socket). A websockets-next upgrade
 * must keep that order: {@code NotificationSocketTest} checks it.
 */
@WebSocket(path = NotificationSocket.PATH, inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class NotificationSocket {

    static final String PATH = "/ws/notifications";

    private static final Logger LOG = Logger.getLogger(NotificationSocket.class);

    private final NotificationBroadcaster broadcaster;
    private final InboundFrames inbound;
    private final InboxEvents inbox;
    private final IdleTimeoutRelease idleTimeout;
    private final NotificationMetrics metrics;
    private final int maxPendingFrames;

    NotificationSocket(NotificationBroadcaster broadcaster, InboundFrames inbound, InboxEvents inbox, IdleTimeoutRelease idleTimeout,
                       NotificationsConfig config, NotificationMetrics metrics) {
        this.broadcaster = broadcaster;
        this.inbound = inbound;
        this.inbox = inbox;
        this.idleTimeout = idleTimeout;
        this.metrics = metrics;
        this.maxPendingFrames = config.socket().maxPendingFrames();
    }

    /**
     * {@code ?channels=a,b} (each answered), then with {@code ?since=<id>} a replay of what came after that
     * notification, then live. On the connection's own event loop, so that the replayed frames are written in order.
     */
    @OnOpen
    @NonBlocking
    void onOpen(WebSocketConnection connection) {
        AdmittedSocket admitted = AdmittedSocket.of(connection);
        Channel channel = admitted.channel();
        idleTimeout.opened(channel);
        ConnectionOutbox outbox = new ConnectionOutbox(SocketTransport.of(connection, channel), maxPendingFrames, metrics);
        SocketReplies.attach(connection, outbox);
        SubscriberQuery query;
        try {
            query = SubscriberQuery.parse(connection.handshakeRequest().query());
        } catch (IllegalArgumentException malformed) {
            LOG.debugf("Socket %s: malformed query string: %s", connection.id(), malformed.getMessage());
            SocketClose.close(connection, CloseCode.POLICY_VIOLATION);
            return;
        }
        SocketIdentity identity = admitted.identity();
        LOG.debugf("Socket %s opened from %s by %s%s", connection.id(), admitted.clientAddress(),
                identity.isAnonymous() ? "an anonymous client" : "user " + identity.user(),
                query.since() == null ? "" : ", resuming after " + query.since());
        TokenExpiry.closeAtExpiry(connection, identity);
        Subscriber subscriber = broadcaster.join(outbox, channel.eventLoop(), identity, query.channels(),
                query.since());
        SocketSubscriber.attach(connection, subscriber);
        inbox.joined(subscriber);
    }

    @OnClose
    @NonBlocking
    void onClose(WebSocketConnection connection, CloseReason reason) {
        Subscriber subscriber = SocketSubscriber.of(connection);
        if (subscriber != null) {
            broadcaster.leave(subscriber);
        }
        // One line per socket, as the access log has one per request (which never ends for an upgrade that succeeded).
        AdmittedSocket admitted = AdmittedSocket.of(connection);
        LOG.infof("Socket %s from %s (%s) closed with %d after %d s", connection.id(), admitted.clientAddress(),
                admitted.identity().isAnonymous() ? "anonymous" : "user " + admitted.identity().user(), reason.getCode(),
                Duration.between(connection.creationTime(), Instant.now()).toSeconds());
    }

    /** Subscriptions and notifications to publish ({@link InboundFrames}); returns at once. */
    @OnTextMessage
    @NonBlocking
    void onMessage(String frame, WebSocketConnection connection) {
        inbound.receive(frame, connection);
    }

    /** The socket speaks JSON text: a binary frame closes it with 1003 (unsupported data). */
    @OnBinaryMessage
    Uni<Void> onBinaryMessage(Buffer frame, WebSocketConnection connection) {
        LOG.debugf("Socket %s sent a binary frame", connection.id());
        return connection.close(SocketClose.frame(CloseCode.UNSUPPORTED_DATA));
    }

    /**
     * Vert.x refuses a frame over quarkus.websockets-next.server.max-message-size with an
     * IllegalStateException and no close; the client is owed a 1009 (message too big).
     */
    @OnError
    Uni<Void> onError(IllegalStateException failure, WebSocketConnection connection) {
        if (failure.getMessage() != null && failure.getMessage().contains("max message size")) {
            LOG.debugf("Socket %s sent a frame over the size limit", connection.id());
            return connection.close(SocketClose.frame(CloseCode.TOO_BIG));
        }
        LOG.warnf(failure, "Socket %s failed", connection.id());
        return connection.close(SocketClose.frame(CloseCode.SERVER_ERROR));
    }

    /**
     * A client that vanished (connection reset, broken pipe: a phone that lost its network, a killed
     * browser) is not an error of this service: the connection is already gone, there is nothing to close.
     */
    @OnError
    @NonBlocking
    void onConnectionLost(IOException failure, WebSocketConnection connection) {
        LOG.debugf("Socket %s lost: %s", connection.id(), failure.getMessage());
    }
}
