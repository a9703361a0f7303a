package org.acme.notifications.access;

import org.acme.notifications.ErrorCode;

/** Why a socket may not do what it asked: the error's code (and status), and a sentence. */
public record Refusal(ErrorCode code, String detail) {

    public static Refusal tooManyChannels(int max) {
        return new Refusal(ErrorCode.TOO_MANY_CHANNELS, "A socket reads at most " + max + " channels at once: unsubscribe from one first");
    }
}
