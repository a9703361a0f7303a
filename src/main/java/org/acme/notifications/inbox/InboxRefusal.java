package org.acme.notifications.inbox;

import org.acme.notifications.ErrorCode;

/** Why an inbox call was not done: answered as a problem body with its code and status. */
final class InboxRefusal extends RuntimeException {

    final ErrorCode code;

    InboxRefusal(ErrorCode code, String detail) {
        super(detail, null, false, false);
        this.code = code;
    }
}
