package org.acme.notifications.access;

import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;

import java.util.List;
import java.util.Set;

/**
 * Which sites' pages may use the service from a browser: the service's own origin (the host the page asked for) and
 * those in {@code notifications.socket.allowed-origins}, one list for the socket, the event stream and the APIs the
 * client library calls. None is configured by default: in production no other site is allowed until named.
 */
@ApplicationScoped
public class AllowedOrigins {

    private final Set<String> allowed;

    public AllowedOrigins(NotificationsConfig config) {
        this.allowed = Set.copyOf(config.socket().allowedOrigins().orElse(List.of()));
    }

    /** Browsers always send Origin; programs usually do not, and are not the cross-site risk. */
    public boolean allows(String origin, String host) {
        return origin == null || sameSite(origin, host) || allowed.contains(origin);
    }

    /** A page of the service's own origin (host: the Host or :authority the request was sent to). */
    public boolean sameSite(String origin, String host) {
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }
}
