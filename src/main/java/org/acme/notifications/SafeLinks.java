package org.acme.notifications;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The rule for a notification's {@code link}. Whoever opens the notification follows it, so it may only lead where
 * it cannot run code in the page or pass another site off as this one: an absolute {@code https://} or
 * {@code http://} URL with a host, or a path on this site ({@code /...}). A {@code //host} or {@code /\host} path
 * is refused, because browsers read either as another host.
 */
final class SafeLinks {

    static final int MAX_CHARS = 2048;

    private SafeLinks() {
    }

    /** Returns quietly for a safe link; {@code invalid-message} otherwise. */
    static void validate(String link) {
        if (link.length() > MAX_CHARS) {
            throw refused("'link' is longer than " + MAX_CHARS + " characters");
        }
        if (link.chars().anyMatch(c -> c <= ' ' || c == 0x7F)) {
            throw refused("'link' must not contain spaces or control characters");
        }
        NotificationRequestParser.requireWellFormed("link", link, ErrorCode.INVALID_MESSAGE);
        boolean path = link.startsWith("/") && !link.startsWith("//") && !link.startsWith("/\\");
        if (!path && !isWebUrl(link)) {
            throw refused("'link' must be an https:// or http:// URL, or a path on this site starting with a single /");
        }
    }

    private static boolean isWebUrl(String link) {
        try {
            URI uri = new URI(link);
            String scheme = uri.getScheme();
            return scheme != null && (scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http")) && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static InvalidNotificationException refused(String detail) {
        return new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, detail);
    }
}
