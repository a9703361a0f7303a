package org.acme.notifications.access;

import org.acme.notifications.ErrorCode;

/** Why a socket may not do what it asked: the error's code (and status), and a sentence. */
public record Refusal(ErrorCode code, String detail) {
}
