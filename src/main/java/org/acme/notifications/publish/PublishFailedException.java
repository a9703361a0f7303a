package org.acme.notifications.publish;

/** Kafka did not take the notification (broker unreachable, timed out, too many pending): HTTP 503. */
public class PublishFailedException extends RuntimeException {

    /** What the client is told; the cause, if any, is for the log. */
    public static final String DETAIL = "Kafka is unavailable; the notification was not accepted. Try again shortly.";

    public PublishFailedException(String reason) {
        super(reason);
    }

    public PublishFailedException(Throwable cause) {
        super(rootCause(cause).getMessage(), cause);
    }

    /** Kafka's own words ("Topic notifications not present in metadata after 3000 ms") sit at the bottom of the chain. */
    private static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }
}
