package org.acme.notifications.access;

/** A publisher without a valid API key: HTTP 401. */
public class NotAllowedToPublishException extends RuntimeException {

    public static final String DETAIL = "Publishing needs an API key: send 'Authorization: Bearer <key>'";

    public NotAllowedToPublishException() {
        super(DETAIL, null, false, false);
    }
}
