package org.acme.notifications;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The rule for a notification's {@code link}. Whoever opens the notification follows it, so it may only lead where
 * it cannot run code in the page or pass another site off as this one: an absolute {@code https://} or
 * {@code http://} URL with a host and no user info ({@code https://trusted@evil/} shows one host and opens another),
 * or a path on this site ({@code /...}). A {@code //host} or {@code /\host} path is refused, because browsers read
 * either as another host; so is any space, control or invisible formatting character, which browsers strip or read
 * differently from what a reader sees ({@code /\t/evil.example} is {@code //evil.example} to a browser).
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
        if (link.codePoints().anyMatch(SafeLinks::unseen)) {
            throw refused("'link' must not contain spaces, control or formatting characters");
        }
        NotificationRequestParser.requireWellFormed("link", link, ErrorCode.INVALID_MESSAGE);
        URI uri;
        try {
            uri = new URI(link);
        } catch (URISyntaxException e) {
            throw refused("'link' is not a URL: " + e.getReason());
        }
        if (!isPathOnThisSite(link, uri) && !isWebUrl(uri)) {
            throw refused("'link' must be an https:// or http:// URL with a host (and no user name), or a path on this site "
                    + "starting with a single /");
        }
    }

    private static boolean unseen(int c) {
        return c <= ' ' || Character.isISOControl(c) || Character.isSpaceChar(c) || Character.isWhitespace(c)
                || Character.getType(c) == Character.FORMAT;
    }

    private static boolean isPathOnThisSite(String link, URI uri) {
        return link.startsWith("/") && !link.startsWith("//") && uri.getScheme() == null && uri.getRawAuthority() == null;
    }

    private static boolean isWebUrl(URI uri) {
        String scheme = uri.getScheme();
        return scheme != null && (scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http")) && uri.getHost() != null
                && uri.getRawUserInfo() == null;
    }

    private static InvalidNotificationException refused(String detail) {
        return new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, detail);
    }
}
