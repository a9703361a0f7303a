package org.acme.notifications.access;

/** A publisher over its key's rate: HTTP 429. */
public class PublishRateExceededException extends RuntimeException {

    public PublishRateExceededException() {
        super(PublishRates.DETAIL, null, false, false);
    }
}
