package org.acme.notifications.access;

import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;

import java.util.List;
import java.util.Set;

/**
 * Which sites' pages may use the service from a browser: the service's own origin (the scheme and host the page asked
 * for) and those in {@code notifications.socket.allowed-origins}, one list for the socket, the event stream and the APIs
 * the client library calls. None is configured by default: in production no other site is allowed until named.
 *
 * <p>Behind a reverse proxy the service's own origin is the proxy's: Quarkus takes the scheme and host from
 * {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}, but only from the addresses in
 * {@code quarkus.http.proxy.trusted-proxies} (docs/deploying.md, "Behind nginx").
 */
@ApplicationScoped
public class AllowedOrigins {

    private final Set<String> allowed;

    public AllowedOrigins(NotificationsConfig config) {
        this.allowed = Set.copyOf(config.socket().allowedOrigins().orElse(List.of()));
    }

    /** Browsers always send Origin; programs usually do not, and are not the cross-site risk. */
    public boolean allows(String origin, String ownOrigin) {
        return origin == null || origin.equals(ownOrigin) || allowed.contains(origin);
    }

    /**
     * The origin a request was sent to, as its browser sees it: {@code https://notify.example.com}, with the port only
     * where it is not the scheme's own. Quarkus' forwarded-header parsing (when the request came from a trusted proxy)
     * has already put the proxy's scheme and host in place of the connection's.
     */
    public static String ownOrigin(HttpServerRequest request) {
        return request.scheme() + "://" + request.host();
    }
}
