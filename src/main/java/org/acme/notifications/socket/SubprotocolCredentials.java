package org.acme.notifications.socket;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.Problem;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Browsers send the access token as the subprotocol {@code quarkus-http-upgrade#Authorization#Bearer%20<token>}, which
 * websockets-next turns into a header. Only that header, with a value that can be one, may come this way: anything
 * else (another header, a malformed one), on any path, is answered 400 ({@code invalid-subprotocol}) here, before
 * websockets-next would answer it 500 and log an error, or set a header a page may not set (Origin, X-Forwarded-For).
 */
@ApplicationScoped
class SubprotocolCredentials {

    private static final String PREFIX = "quarkus-http-upgrade";

    /** Before websockets-next's own filter (priority 220), which turns the subprotocol into a header on every path. */
    void register(@Observes Filters filters) {
        filters.register(this::filter, 230);
    }

    private void filter(RoutingContext context) {
        String offered = context.request().getHeader("Sec-WebSocket-Protocol");
        if (offered == null || !offered.contains(PREFIX)) {
            context.next();
            return;
        }
        for (String protocol : offered.split(",")) {
            protocol = protocol.trim();
            if (protocol.startsWith(PREFIX) && !isAuthorization(protocol)) {
                context.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                        .end(Json.encode(Problem.of(ErrorCode.INVALID_SUBPROTOCOL, "A " + PREFIX + " subprotocol may only carry "
                                + "'Authorization#Bearer%20<token>': " + PREFIX + "#Authorization#Bearer%20<token>")));
                return;
            }
        }
        context.next();
    }

    /** {@code quarkus-http-upgrade#Authorization#<value>}, the value URL-encoded and, decoded, visible ASCII or spaces. */
    static boolean isAuthorization(String protocol) {
        String decoded;
        try {
            decoded = URLDecoder.decode(protocol, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return false;
        }
        String[] parts = decoded.split("#");
        if (parts.length != 3 || !parts[0].equals(PREFIX) || !parts[1].equalsIgnoreCase("Authorization") || parts[2].isEmpty()) {
            return false;
        }
        return parts[2].chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
    }
}
