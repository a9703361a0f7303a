package org.acme.notifications.publish;

/** Kafka did not take the notification (broker unreachable, timed out, too many pending): HTTP 503. */
public class PublishFailedException extends RuntimeException {

    public PublishFailedException(String message) {
        super(message);
    }

    public PublishFailedException(Throwable cause) {
        super("Kafka did not accept the notification: " + cause.getMessage(), cause);
    }
}
