package org.acme.notifications.frames;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.access.Refusal;

import java.util.List;

/**
 * Frames about the stream itself, never a notification: they carry a {@code type} and never a {@code message}
 * (docs/protocol.md lists them).
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlFrame(String type, ErrorCode code, Integer status, String channel, List<String> channels, String since,
                    Integer replayed, String oldest, String after, List<String> unknown, String detail) {

    public static ControlFrame resumed(String since, int replayed) {
        return new ControlFrame("resumed", null, null, null, null, since, replayed, null, null, null, null);
    }

    public static ControlFrame historyGap(String since, String oldest) {
        return new ControlFrame("history-gap", null, null, null, null, since, null, oldest, null, null,
                "Not every notification after " + since + " is replayed (no longer kept, or more than one replay holds); "
                        + "the replay starts at the oldest one sent");
    }

    /**
     * {@code since} can never be resumed from; {@code unknown}: the ids of it that are in no partition (null when it
     * is not a position at all).
     */
    public static ControlFrame unknownId(String since, List<String> unknown) {
        return new ControlFrame("unknown-id", null, null, null, null, since, null, null, null, unknown,
                unknown == null ? "'" + since + "' is not a notification id of this stream; nothing is replayed"
                        : String.join(",", unknown) + " of '" + since + "' " + (unknown.size() == 1 ? "is" : "are")
                        + " in no partition of this stream: forget " + (unknown.size() == 1 ? "it" : "them") + "; nothing is replayed");
    }

    /** The channel's notifications come from here on; {@code after}: the newest notification this instance had then. */
    public static ControlFrame subscribed(String channel, String after) {
        return new ControlFrame("subscribed", null, null, channel, null, null, null, null, after, null, null);
    }

    public static ControlFrame unsubscribed(String channel, String after) {
        return new ControlFrame("unsubscribed", null, null, channel, null, null, null, null, after, null, null);
    }

    /** The answer to a client's {@code ping}: a page cannot see the socket's own pings, and tells a dead connection by this. */
    public static ControlFrame pong() {
        return new ControlFrame("pong", null, null, null, null, null, null, null, null, null, null);
    }

    /** Something the client sent was not done; {@code channel} when it was about one. */
    public static ControlFrame error(ErrorCode code, String detail) {
        return new ControlFrame("error", code, code.status(), null, null, null, null, null, null, null, detail);
    }

    public static ControlFrame refused(String channel, Refusal refusal) {
        return new ControlFrame("error", refusal.code(), refusal.code().status(), channel, null, null, null, null, null, null,
                refusal.detail());
    }

    /**
     * Channels of {@code ?channels=} refused for one reason, in one frame: {@code channels} lists each once, and
     * {@code channel} names it too when it is the only one. {@code first}: the refusal of the first of them.
     */
    public static ControlFrame refused(List<String> channels, Refusal first) {
        boolean one = channels.size() == 1;
        return new ControlFrame("error", first.code(), first.code().status(), one ? channels.get(0) : null, List.copyOf(channels),
                null, null, null, null, null, one ? first.detail()
                : first.detail() + " (the same for every one of the " + channels.size() + " channels listed)");
    }
}
