package org.acme.notifications.socket;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.access.PublishRates;
import org.acme.notifications.access.TokenBucket;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.publish.NotificationPublisher;
import org.acme.notifications.publish.PublishFailedException;
import org.jboss.logging.Logger;

/**
 * A notification a client sends over its socket ({@code {"message": "..."}}), published through Kafka like the REST
 * trigger's: with the socket's API key, within the socket's rate and the key's. The sender sees its notification when it
 * comes back. Returns at once, before Kafka answers: websockets-next hands a socket its frames one at a time, so a
 * handler that waited would queue every later frame of that socket, without bound.
 */
@ApplicationScoped
class SocketPublishing {

    private static final Logger LOG = Logger.getLogger(SocketPublishing.class);
    private static final UserData.TypedKey<TokenBucket> PUBLISH_RATE = new UserData.TypedKey<>("publish-rate");

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;
    private final PublishRates publishRates;
    private final SocketReplies replies;
    private final NotificationsConfig.Socket limits;

    SocketPublishing(NotificationRequestParser parser, NotificationPublisher publisher, PublishRates publishRates,
                     SocketReplies replies, NotificationsConfig config) {
        this.parser = parser;
        this.publisher = publisher;
        this.publishRates = publishRates;
        this.replies = replies;
        this.limits = config.socket();
    }

    void publish(JsonNode frame, WebSocketConnection connection) {
        if (!AdmittedSocket.of(connection).mayPublish()) {
            replies.reply(connection, ControlFrame.error(ErrorCode.UNAUTHORIZED,
                    "This socket may not publish: connect with 'X-API-Key: <key>' or ?api-key=<key>"));
            return;
        }
        if (!InboundFrames.bucket(connection, PUBLISH_RATE, () -> new TokenBucket(limits.publishRate(), limits.publishBurst())).tryTake()) {
            replies.reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED,
                    "More than " + limits.publishRate() + " notifications per second from this socket; this one was not published"));
            return;
        }
        if (!publishRates.tryTake(AdmittedSocket.of(connection).apiKeyIndex())) {
            replies.reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED, PublishRates.DETAIL));
            return;
        }
        Uni.createFrom().item(() -> parser.fromTree(frame))
                .chain(request -> publisher.publish(request, NotificationSource.SOCKET))
                .subscribe().with(published -> {
                }, failure -> {
                    if (failure instanceof InvalidNotificationException invalid) {
                        replies.reply(connection, ControlFrame.error(invalid.code(), invalid.getMessage()));
                    } else if (failure instanceof PublishFailedException) {
                        LOG.warnf("Refused a notification from socket %s from %s: %s", connection.id(),
                                AdmittedSocket.of(connection).clientAddress(), failure.getMessage());
                        replies.reply(connection, ControlFrame.error(ErrorCode.KAFKA_UNAVAILABLE, PublishFailedException.DETAIL));
                    } else {
                        LOG.errorf(failure, "Socket %s from %s failed", connection.id(), AdmittedSocket.of(connection).clientAddress());
                        SocketClose.close(connection, CloseCode.SERVER_ERROR);
                    }
                });
    }
}
