package org.acme.notifications.delivery;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.access.Refusal;

/**
 * Frames about the stream itself, never a notification: they carry a {@code type} and never a {@code message}
 * (docs/protocol.md lists them).
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
record ControlFrame(String type, ErrorCode code, Integer status, String channel, String since, Integer replayed,
                    String oldest, String after, String detail) {

    static ControlFrame resumed(String since, int replayed) {
        return new ControlFrame("resumed", null, null, null, since, replayed, null, null, null);
    }

    static ControlFrame historyGap(String since, String oldest) {
        return new ControlFrame("history-gap", null, null, null, since, null, oldest, null,
                "Not every notification after " + since + " is replayed (no longer kept, or more than one replay holds); "
                        + "the replay starts at the oldest one sent");
    }

    static ControlFrame unknownId(String since) {
        return new ControlFrame("unknown-id", null, null, null, since, null, null, null,
                "'" + since + "' is not a notification id of this stream; nothing is replayed");
    }

    /** The channel's notifications come from here on; {@code after}: the newest notification this instance had then. */
    static ControlFrame subscribed(String channel, String after) {
        return new ControlFrame("subscribed", null, null, channel, null, null, null, after, null);
    }

    static ControlFrame unsubscribed(String channel, String after) {
        return new ControlFrame("unsubscribed", null, null, channel, null, null, null, after, null);
    }

    /** Something the client sent was not done; {@code channel} when it was about one. */
    static ControlFrame error(ErrorCode code, String detail) {
        return new ControlFrame("error", code, code.status(), null, null, null, null, null, detail);
    }

    static ControlFrame refused(String channel, Refusal refusal) {
        return new ControlFrame("error", refusal.code(), refusal.code().status(), channel, null, null, null, null, refusal.detail());
    }
}
