package org.acme.notifications.publish;

/** An {@code Idempotency-Key} already used, within its window, for another notification: a mistake, not a retry. */
public class IdempotencyKeyReusedException extends RuntimeException {

    public IdempotencyKeyReusedException() {
        super("This Idempotency-Key was used for another notification within the idempotency window; "
                + "a retry must repeat the first request exactly, and a new notification needs a new key", null, false, false);
    }
}
