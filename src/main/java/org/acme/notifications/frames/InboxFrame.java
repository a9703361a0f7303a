package org.acme.notifications.frames;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * {@code {"type":"inbox","unread":n,"unseen":n}}: a signed-in subscriber's stored notifications changed (or it just
 * joined). It says how many there are, not which: the inbox API lists them.
 */
@RegisterForReflection
public record InboxFrame(String type, long unread, long unseen) {

    public static InboxFrame of(long unread, long unseen) {
        return new InboxFrame("inbox", unread, unseen);
    }
}
