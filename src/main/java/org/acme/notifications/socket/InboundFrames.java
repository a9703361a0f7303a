package org.acme.notifications.socket;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.access.TokenBucket;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.acme.notifications.routing.Subscriber;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * What a client sends over its socket, frame by frame: {@code subscribe} and {@code unsubscribe} (each answered, a
 * refusal included), {@code ping} (answered {@code pong}), and notifications to publish ({@link SocketPublishing}). Frames of any kind are rate-limited
 * before they are even parsed, so that a flood of them (subscribe, unsubscribe, garbage) costs little and never holds
 * the shared lock long.
 */
@ApplicationScoped
class InboundFrames {

    /** Frames of any kind one socket may send per second, and at once (never below the publishing rate and burst). */
    static final double FRAME_RATE = 50;
    static final int FRAME_BURST = 200;

    private static final UserData.TypedKey<TokenBucket> FRAME_RATE_LIMIT = new UserData.TypedKey<>("frame-rate");

    private final NotificationRequestParser parser;
    private final NotificationBroadcaster broadcaster;
    private final SocketPublishing publishing;
    private final SocketReplies replies;
    private final NotificationsConfig.Socket limits;

    InboundFrames(NotificationRequestParser parser, NotificationBroadcaster broadcaster,
                  SocketPublishing publishing, SocketReplies replies, NotificationsConfig config) {
        this.parser = parser;
        this.broadcaster = broadcaster;
        this.publishing = publishing;
        this.replies = replies;
        this.limits = config.socket();
    }

    /**
     * A socket's bucket under {@code key}, made on its first use: most sockets never send a frame, and each bucket
     * would cost every socket ~80 bytes. A full bucket made late is the same as one made at the open and refilled.
     * Only on the socket's event loop, so that two frames cannot both make one.
     */
    static TokenBucket bucket(WebSocketConnection connection, UserData.TypedKey<TokenBucket> key, Supplier<TokenBucket> make) {
        TokenBucket bucket = connection.userData().get(key);
        if (bucket == null) {
            bucket = make.get();
            connection.userData().put(key, bucket);
        }
        return bucket;
    }

    /** One text frame, on the socket's event loop. A socket may send as fast as notifications.socket.publish-rate says. */
    void receive(String frame, WebSocketConnection connection) {
        TokenBucket frames = bucket(connection, FRAME_RATE_LIMIT, () -> new TokenBucket(Math.max(FRAME_RATE, limits.publishRate()),
                Math.max(FRAME_BURST, limits.publishBurst())));
        if (!frames.tryTake()) {
            replies.reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED,
                    "Too many frames per second from this socket; this one was not read"));
            return;
        }
        JsonNode json;
        try {
            json = parser.readTree(frame.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidNotificationException invalid) {
            replies.reply(connection, ControlFrame.error(invalid.code(), invalid.getMessage()));
            return;
        }
        if (json.isObject() && json.has("type")) {
            control(json, connection);
        } else {
            publishing.publish(json, connection);
        }
    }

    private void control(JsonNode frame, WebSocketConnection connection) {
        String type = frame.path("type").asText();
        String channel = frame.path("channel").isTextual() ? frame.path("channel").textValue() : null;
        SocketIdentity identity = AdmittedSocket.of(connection).identity();
        if (type.equals("ping")) {
            replies.reply(connection, ControlFrame.pong());
        } else if (!type.equals("subscribe") && !type.equals("unsubscribe")) {
            replies.reply(connection, ControlFrame.error(ErrorCode.UNKNOWN_TYPE, "A frame with a 'type' is 'subscribe', 'unsubscribe' or 'ping'"));
        } else if (frame.has("user")) {
            boolean own = frame.path("user").asText().equals(identity.user());
            replies.reply(connection, own
                    ? ControlFrame.error(ErrorCode.INVALID_SUBSCRIPTION, "A socket always receives its own user's notifications")
                    : ControlFrame.error(ErrorCode.FORBIDDEN_USER, "A socket receives its own user's notifications only"));
        } else if (type.equals("unsubscribe")) {
            if (channel == null || !Target.CHANNEL_NAME.matcher(channel).matches()) {
                replies.reply(connection, ControlFrame.error(ErrorCode.INVALID_CHANNEL, "'channel' names the channel to leave"));
            } else {
                Subscriber subscriber = SocketSubscriber.of(connection);
                if (subscriber != null) {
                    broadcaster.unsubscribe(subscriber, channel);
                }
            }
        } else {
            Subscriber subscriber = SocketSubscriber.of(connection);
            if (subscriber != null) {
                broadcaster.subscribe(subscriber, channel); // answered either way: subscribed, or why not
            }
        }
    }
}
