package org.acme.notifications.sse;

import io.netty.channel.EventLoop;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.Json;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ConnectionPlaces;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Problem;
import org.acme.notifications.SubscriberQuery;
import org.acme.notifications.access.SubscriberAdmission;
import org.acme.notifications.access.SubscriberAdmission.Decision;
import org.acme.notifications.history.ResumePosition;
import org.acme.notifications.inbox.InboxEvents;
import org.acme.notifications.outbox.ConnectionOutbox;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.acme.notifications.routing.Subscriber;
import org.jboss.logging.Logger;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code GET /sse/notifications}: the socket's notifications as Server-Sent Events, for networks that break
 * WebSockets and for {@code curl -N}. A second kind of subscriber of the one routing core: it joins the
 * {@link NotificationBroadcaster} as a socket does, with the same admission ({@link SubscriberAdmission}), the same
 * connection limit, the same outbox and its slow-reader bound; only the framing is its own ({@link EventStreamFrames}).
 *
 * <p>It reads {@code ?channels=}, and resumes from {@code Last-Event-ID} (what a browser's {@code EventSource} sends
 * back when it reconnects) or else {@code ?since=}. The access token comes as {@code Authorization: Bearer}, or, from
 * an {@code EventSource}, which cannot set headers, as {@code ?access_token=} (redacted from spans as the API key is).
 */
@ApplicationScoped
public class NotificationStream {

    static final String PATH = "/sse/notifications";

    private static final Logger LOG = Logger.getLogger(NotificationStream.class);

    private final SubscriberAdmission admission;
    private final ConnectionPlaces places;
    private final NotificationBroadcaster broadcaster;
    private final InboxEvents inbox;
    private final OpenStreams streams;
    private final NotificationMetrics metrics;
    private final int maxPendingFrames;
    private final AtomicLong ids = new AtomicLong();

    NotificationStream(SubscriberAdmission admission, ConnectionPlaces places, NotificationBroadcaster broadcaster, InboxEvents inbox,
                       OpenStreams streams, NotificationMetrics metrics, NotificationsConfig config) {
        this.admission = admission;
        this.places = places;
        this.broadcaster = broadcaster;
        this.inbox = inbox;
        this.streams = streams;
        this.metrics = metrics;
        this.maxPendingFrames = config.socket().maxPendingFrames();
    }

    void route(@Observes Router router) {
        router.get(PATH).handler(this::open);
    }

    private void open(RoutingContext context) {
        HttpServerRequest request = context.request();
        SubscriberQuery query;
        try {
            query = SubscriberQuery.parse(request.query());
        } catch (IllegalArgumentException malformed) {
            refuse(context.response(), ErrorCode.INVALID_QUERY, "The query string cannot be read: " + malformed.getMessage());
            return;
        }
        String lastEventId = request.getHeader("Last-Event-ID");
        String since = lastEventId != null && !lastEventId.isBlank() ? lastEventId.strip() : query.since();
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null && request.getParam("access_token") != null) {
            authorization = "Bearer " + request.getParam("access_token");
        }
        EventLoop loop = ((ConnectionBase) request.connection()).channel().eventLoop();
        admission.decide(SubscriberAdmission.Credentials.of(request, authorization))
                .subscribe().with(decision -> loop.execute(() -> start(context, loop, decision, query, since)),
                        failure -> loop.execute(() -> {
                            // Not context.fail: its log line would quote the URI, and with it a ?access_token=.
                            LOG.errorf(failure, "An event stream could not be admitted");
                            refuse(context.response(), ErrorCode.TOKENS_UNAVAILABLE, "The stream cannot be admitted now: retry later");
                        }));
    }

    /** On the connection's event loop: joining routing happens there, and every write after. */
    private void start(RoutingContext context, EventLoop loop, Decision decision, SubscriberQuery query, String since) {
        HttpServerResponse response = context.response();
        if (!decision.admitted()) {
            refuse(response, decision.refusal(), decision.detail());
            return;
        }
        if (response.closed()) {
            return; // the client left while its token was checked
        }
        if (!places.take()) {
            refuse(response, ErrorCode.TOO_MANY_CONNECTIONS, "This instance holds as many connections as it may: retry later");
            return;
        }
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no"); // nginx: pass each event on at once
        String id = "stream " + ids.incrementAndGet();
        EventStreamTransport transport = new EventStreamTransport(id, response, context.request().connection(),
                context.request().version() == HttpVersion.HTTP_2, loop, new EventStreamFrames(since == null ? null : ResumePosition.parse(since)));
        transport.gone.whenComplete((done, failure) -> places.release());
        // Spread the reconnections of the streams of a replica that went away over a few seconds.
        transport.open(ThreadLocalRandom.current().nextLong(1000, 5000));
        ConnectionOutbox outbox = new ConnectionOutbox(transport, maxPendingFrames, metrics);
        Subscriber subscriber = broadcaster.join(outbox, loop, decision.identity(), query.channels(), since);
        streams.opened(outbox, transport, decision.identity().expiresAt(), () -> {
            broadcaster.leave(subscriber);
            LOG.debugf("Event %s ended", id);
        });
        response.exceptionHandler(failure -> LOG.debugf("Event %s failed: %s", id, failure.getMessage()));
        LOG.debugf("Event %s opened by %s%s", id, decision.identity().isAnonymous() ? "an anonymous client" : "user " + decision.identity().user(),
                since == null ? "" : ", resuming after " + since);
        inbox.joined(subscriber);
    }

    private static void refuse(HttpServerResponse response, ErrorCode code, String detail) {
        if (response.closed() || response.ended()) {
            return;
        }
        response.setStatusCode(code.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (code == ErrorCode.UNAUTHORIZED) {
            response.putHeader("WWW-Authenticate", "Bearer");
        }
        if (code.status() == 503) {
            response.putHeader(HttpHeaders.RETRY_AFTER, "5");
        }
        response.end(Json.encode(Problem.of(code, detail)));
    }
}
