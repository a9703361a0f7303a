package org.acme.notifications.delivery;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.smallrye.common.annotation.NonBlocking;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.InboundProcessingMode;
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
import org.acme.notifications.ErrorCode;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;
import org.acme.notifications.access.PublishRates;
import org.acme.notifications.access.SocketAccessCheck;
import org.acme.notifications.access.TokenBucket;
import org.acme.notifications.publish.NotificationPublisher;
import org.acme.notifications.publish.PublishFailedException;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.Channel;
import org.acme.notifications.access.ChannelRules;
import org.acme.notifications.access.Refusal;
import org.acme.notifications.access.SocketIdentity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.List;

/**
 * The socket browsers hold open. Notifications arrive here from {@link NotificationBroadcaster}: broadcasts,
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

    /** Close code for a socket whose access token expired; the client reconnects with a fresh token. */
    public static final int TOKEN_EXPIRED = 4001;

    /**
     * Frames of any kind one socket may send per second, and at once: checked before a frame is even parsed, so
     * that a flood of frames (subscribe, unsubscribe, garbage) costs little and never holds the shared lock long.
     */
    static final double FRAME_RATE = 50;
    static final int FRAME_BURST = 200;

    private static final Logger LOG = Logger.getLogger(NotificationSocket.class);
    private static final UserData.TypedKey<TokenBucket> PUBLISH_RATE = new UserData.TypedKey<>("publish-rate");
    private static final UserData.TypedKey<TokenBucket> FRAME_RATE_LIMIT = new UserData.TypedKey<>("frame-rate");
    private static final UserData.TypedKey<SocketOutbox> OUTBOX = new UserData.TypedKey<>("outbox");

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;
    private final NotificationBroadcaster broadcaster;
    private final FrameEncoder encoder;
    private final NotificationsConfig.Socket limits;
    private final NotificationMetrics metrics;
    private final PublishRates publishRates;
    private final ChannelRules channelRules;
    private final int maxChannels;

    public NotificationSocket(NotificationRequestParser parser, NotificationPublisher publisher, NotificationBroadcaster broadcaster,
                              FrameEncoder encoder, NotificationsConfig config, NotificationMetrics metrics,
                              PublishRates publishRates, ChannelRules channelRules) {
        this.parser = parser;
        this.publisher = publisher;
        this.broadcaster = broadcaster;
        this.encoder = encoder;
        this.limits = config.socket();
        this.metrics = metrics;
        this.publishRates = publishRates;
        this.channelRules = channelRules;
        this.maxChannels = config.channels().maxPerSocket();
    }

    /**
     * {@code ?channels=a,b}: each answered by a {@code subscribed} frame, the refused ones by one {@code error} frame
     * per reason that lists them (a long list of refusals is one frame, not one each). {@code ?since=<id>}:
     * then replay what came after that notification, then go live. On the connection's own event loop, so
     * that the replayed frames are written in order.
     */
    @OnOpen
    @NonBlocking
    void onOpen(WebSocketConnection connection) {
        connection.userData().put(PUBLISH_RATE, new TokenBucket(limits.publishRate(), limits.publishBurst()));
        // Never tighter than the publishing rate: a socket may publish as fast as notifications.socket.publish-rate says.
        connection.userData().put(FRAME_RATE_LIMIT, new TokenBucket(Math.max(FRAME_RATE, limits.publishRate()),
                Math.max(FRAME_BURST, limits.publishBurst())));
        SocketOutbox outbox = new SocketOutbox(connection, SocketChannels.of(connection), limits.maxPendingFrames(), metrics);
        connection.userData().put(OUTBOX, outbox);
        String query = connection.handshakeRequest().query();
        Map<String, List<String>> parameters;
        try {
            parameters = query == null ? Map.of() : new QueryStringDecoder(query, false).parameters();
        } catch (IllegalArgumentException malformed) {
            LOG.debugf("Socket %s: malformed query string: %s", connection.id(), malformed.getMessage());
            connection.close(new CloseReason(1008, "malformed query string")).subscribe().with(ignored -> {
            }, failure -> LOG.debugf("Closing socket %s failed: %s", connection.id(), failure.getMessage()));
            return;
        }
        String since = parameters.containsKey("since") ? parameters.get("since").get(0) : null;
        SocketIdentity identity = SocketAccessCheck.identity(connection);
        LOG.debugf("Socket %s opened by %s%s", connection.id(), identity.isAnonymous() ? "an anonymous client" : "user " + identity.user(),
                since == null ? "" : ", resuming after " + since);
        closeWhenTokenExpires(connection, identity);
        Set<String> channels = new LinkedHashSet<>();
        List<ControlFrame> answers = new ArrayList<>();
        Map<ErrorCode, Refused> refused = new LinkedHashMap<>();
        for (String channel : requestedChannels(parameters)) {
            Refusal refusal = channelRules.check(channel, identity);
            if (refusal == null && channels.size() >= maxChannels && !channels.contains(channel)) {
                refusal = Refusal.tooManyChannels(maxChannels);
            }
            if (refusal != null) {
                Refusal first = refusal;
                refused.computeIfAbsent(refusal.code(), code -> new Refused(first)).channels.add(channel);
            } else if (channels.add(channel)) {
                answers.add(ControlFrame.subscribed(channel, null));
            }
        }
        refused.values().forEach(each -> answers.add(ControlFrame.refused(List.copyOf(each.channels), each.first)));
        broadcaster.join(connection, outbox, identity, channels, answers, since);
    }

    /** The channels of {@code ?channels=} refused for one reason, each once, and the first refusal (its detail). */
    private static final class Refused {
        final Refusal first;
        final Set<String> channels = new LinkedHashSet<>();

        Refused(Refusal first) {
            this.first = first;
        }
    }

    private static List<String> requestedChannels(Map<String, List<String>> parameters) {
        return parameters.getOrDefault("channels", List.of()).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(String::strip)
                .filter(channel -> !channel.isEmpty())
                .toList();
    }

    /** The socket lives as long as its token: at expiry it is closed with {@link #TOKEN_EXPIRED}. */
    private static void closeWhenTokenExpires(WebSocketConnection connection, SocketIdentity identity) {
        if (identity.expiresAt() == null) {
            return;
        }
        Channel channel = SocketChannels.of(connection);
        long delay = Math.max(0, Duration.between(Instant.now(), identity.expiresAt()).toMillis());
        ScheduledFuture<?> expiry = channel.eventLoop().schedule(() -> {
            LOG.debugf("Socket %s: the access token of %s expired", connection.id(), identity.user());
            connection.close(new CloseReason(TOKEN_EXPIRED, "access token expired: reconnect with a fresh one"))
                    .subscribe().with(ignored -> {
                    }, failure -> LOG.debugf("Closing socket %s failed: %s", connection.id(), failure.getMessage()));
        }, delay, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> expiry.cancel(false)); // a closed socket holds nothing until then
    }

    @OnClose
    @NonBlocking
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
        if (!connection.userData().get(FRAME_RATE_LIMIT).tryTake()) {
            reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED,
                    "Too many frames per second from this socket; this one was not read"));
            return;
        }
        JsonNode json;
        try {
            json = parser.readTree(frame.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidNotificationException invalid) {
            reply(connection, ControlFrame.error(invalid.code(), invalid.getMessage()));
            return;
        }
        if (json.isObject() && json.has("type")) {
            onControlFrame(json, connection);
        } else {
            publish(json, connection);
        }
    }

    /** {@code subscribe} and {@code unsubscribe}: each answered by a frame, a refusal included. */
    private void onControlFrame(JsonNode frame, WebSocketConnection connection) {
        String type = frame.path("type").asText();
        String channel = frame.path("channel").isTextual() ? frame.path("channel").textValue() : null;
        SocketIdentity identity = SocketAccessCheck.identity(connection);
        if (!type.equals("subscribe") && !type.equals("unsubscribe")) {
            reply(connection, ControlFrame.error(ErrorCode.UNKNOWN_TYPE, "A frame with a 'type' is 'subscribe' or 'unsubscribe'"));
        } else if (frame.has("user")) {
            boolean own = frame.path("user").asText().equals(identity.user());
            reply(connection, own
                    ? ControlFrame.error(ErrorCode.INVALID_SUBSCRIPTION, "A socket always receives its own user's notifications")
                    : ControlFrame.error(ErrorCode.FORBIDDEN_USER, "A socket receives its own user's notifications only"));
        } else if (type.equals("unsubscribe")) {
            if (channel == null || !Target.CHANNEL_NAME.matcher(channel).matches()) {
                reply(connection, ControlFrame.error(ErrorCode.INVALID_CHANNEL, "'channel' names the channel to leave"));
            } else {
                broadcaster.unsubscribe(connection, channel);
            }
        } else {
            Refusal refusal = channelRules.check(channel, identity);
            if (refusal == null) {
                refusal = broadcaster.subscribe(connection, channel);
            }
            if (refusal != null) {
                reply(connection, ControlFrame.refused(channel, refusal));
            }
        }
    }

    private void publish(JsonNode frame, WebSocketConnection connection) {
        if (!SocketAccessCheck.mayPublish(connection)) {
            reply(connection, ControlFrame.error(ErrorCode.UNAUTHORIZED,
                    "This socket may not publish: connect with 'X-API-Key: <key>' or ?api-key=<key>"));
            return;
        }
        if (!connection.userData().get(PUBLISH_RATE).tryTake()) {
            reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED,
                    "More than " + limits.publishRate() + " notifications per second from this socket; this one was not published"));
            return;
        }
        if (!publishRates.tryTake(SocketAccessCheck.apiKeyIndex(connection))) {
            reply(connection, ControlFrame.error(ErrorCode.RATE_LIMITED, PublishRates.DETAIL));
            return;
        }
        Uni.createFrom().item(() -> parser.fromTree(frame))
                .chain(request -> publisher.publish(request, NotificationSource.SOCKET))
                .subscribe().with(published -> {
                }, failure -> {
                    if (failure instanceof InvalidNotificationException invalid) {
                        reply(connection, ControlFrame.error(invalid.code(), invalid.getMessage()));
                    } else if (failure instanceof PublishFailedException) {
                        LOG.warnf("Refused a notification from socket %s: %s", connection.id(), failure.getMessage());
                        reply(connection, ControlFrame.error(ErrorCode.KAFKA_UNAVAILABLE, PublishFailedException.DETAIL));
                    } else {
                        LOG.errorf(failure, "Socket %s failed", connection.id());
                        connection.close(new CloseReason(1011, "unexpected error")).subscribe().with(ignored -> {
                        }, closing -> LOG.debugf("Closing socket %s failed: %s", connection.id(), closing.getMessage()));
                    }
                });
    }

    /**
     * Sends an error frame through the socket's outbox, bounded with everything else the socket is sent (a client
     * that keeps sending without reading what it is told is closed with 4008). Queued on the socket's event loop like
     * the broadcaster's answers (replies also come from Kafka's callbacks): the answers to a client's frames come in
     * the order it sent them.
     */
    private void reply(WebSocketConnection connection, ControlFrame frame) {
        SocketOutbox outbox = connection.userData().get(OUTBOX);
        if (outbox == null) {
            return; // closed before it opened
        }
        TextFrames answer = encoder.answer(frame);
        SocketChannels.of(connection).eventLoop().execute(() -> outbox.answer(answer));
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
    @NonBlocking
    void onConnectionLost(IOException failure, WebSocketConnection connection) {
        LOG.debugf("Socket %s lost: %s", connection.id(), failure.getMessage());
    }
}
