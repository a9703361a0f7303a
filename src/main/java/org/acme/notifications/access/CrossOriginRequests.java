package org.acme.notifications.access;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.Problem;

/**
 * CORS for what the client library calls from a page of another site: the event stream, the inbox and publishing.
 * Only the {@link AllowedOrigins} get the headers that let their pages read the answers; a request of any other site
 * is answered 403 ({@code forbidden-origin}), its preflight included, so that it is never acted on. No cookies are
 * read anywhere (credentials are bearer tokens and API keys), so no {@code Access-Control-Allow-Credentials}. The
 * socket checks Origin itself: browsers apply no CORS to WebSockets. The library itself is public code that any
 * page may import as a module (which browsers fetch with CORS).
 */
@ApplicationScoped
class CrossOriginRequests {

    /** Long enough that a page does not ask before every call, short enough that a removed origin is soon refused. */
    private static final String PREFLIGHT_MAX_AGE = "600";

    private final AllowedOrigins allowedOrigins;

    CrossOriginRequests(AllowedOrigins allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }

    void register(@Observes Filters filters) {
        filters.register(this::filter, 100);
    }

    private void filter(RoutingContext context) {
        String path = context.normalizedPath();
        var response = context.response();
        if (path.startsWith("/notifications-client.")) {
            // The same answer whoever asks, so that a shared cache never keeps one without the header.
            response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            context.next();
            return;
        }
        if (!forTheLibrary(path)) {
            context.next();
            return;
        }
        response.putHeader(HttpHeaders.VARY, "Origin"); // the answer depends on it, whoever asks
        String origin = context.request().getHeader(HttpHeaders.ORIGIN);
        String ownOrigin = AllowedOrigins.ownOrigin(context.request());
        if (origin == null || origin.equals(ownOrigin)) {
            context.next();
            return;
        }
        if (!allowedOrigins.allows(origin, ownOrigin)) {
            response.setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(Json.encode(Problem.of(ErrorCode.FORBIDDEN_ORIGIN, "Pages of " + origin + " may not call this service ("
                            + ownOrigin + "): not in notifications.socket.allowed-origins")));
            return;
        }
        response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                .putHeader(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, "Retry-After, WWW-Authenticate");
        boolean preflight = context.request().method() == HttpMethod.OPTIONS
                && context.request().getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
        if (!preflight) {
            context.next();
            return;
        }
        response.setStatusCode(204)
                .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST")
                .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-API-Key")
                .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE)
                .end();
    }

    private static boolean forTheLibrary(String path) {
        // Prefixes: /api/notifications/ (a trailing slash) reaches the same resource.
        return path.startsWith("/sse/notifications") || path.startsWith("/api/notifications") || path.startsWith("/api/inbox");
    }
}
