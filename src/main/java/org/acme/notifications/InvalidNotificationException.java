package org.acme.notifications;

/** Input that is not a notification. Carries what a client needs to fix it. */
public class InvalidNotificationException extends RuntimeException {

    private final ErrorCode code;

    public InvalidNotificationException(ErrorCode code, String detail) {
        super(detail, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
