package org.acme.notifications;

/** Input that is not a notification. Carries what a client needs to fix it. */
public class InvalidNotificationException extends RuntimeException {

    private final int status;
    private final String code;

    private InvalidNotificationException(int status, String code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
    }

    /** Malformed input: HTTP 400. {@code code} is a short stable slug such as {@code invalid-json}. */
    public static InvalidNotificationException invalid(String code, String detail) {
        return new InvalidNotificationException(400, code, detail);
    }

    /** Input over a size limit: HTTP 413. */
    public static InvalidNotificationException tooLarge(String detail) {
        return new InvalidNotificationException(413, "message-too-large", detail);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
