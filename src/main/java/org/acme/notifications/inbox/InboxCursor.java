package org.acme.notifications.inbox;

import org.acme.notifications.NotificationId;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Where a page ends: the stored time and id of its last item, opaque to clients (base64url of
 * {@code <epoch microseconds>_<id>}). A page starts strictly after it, so items that arrive meanwhile (newer, at the
 * top) never shift the pages that follow: no gaps, no repeats. It names a position, not an item: a cursor made from
 * another user's item only says where to start in one's own list.
 */
record InboxCursor(Instant createdAt, String id) {

    private static final Pattern TEXT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern DECODED = Pattern.compile("(-?[0-9]{1,18})_([0-9]{1,9}-[0-9]{1,18})");

    /** Null for anything this service did not make. */
    static InboxCursor parse(String text) {
        if (!TEXT.matcher(text).matches()) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
        var parts = DECODED.matcher(decoded);
        if (!parts.matches() || NotificationId.parse(parts.group(2)) == null) {
            return null;
        }
        long micros = Long.parseLong(parts.group(1));
        return new InboxCursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), parts.group(2));
    }

    @Override
    public String toString() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
        return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + "_" + id).getBytes(StandardCharsets.US_ASCII));
    }
}
