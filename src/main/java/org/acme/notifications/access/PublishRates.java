package org.acme.notifications.access;

import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;

import java.util.stream.IntStream;

/**
 * How fast each API key may publish, over REST and every socket opened with it, together: one holder of a
 * key cannot get around the limit by opening more sockets. One bucket per configured key, made at start-up.
 * Publishers without a key (only where keys are not required) are limited per socket only.
 */
@ApplicationScoped
public class PublishRates {

    public static final String DETAIL = "This API key is over its publishing rate (REST and sockets together); this notification was not published";

    private final TokenBucket[] perKey;

    public PublishRates(ApiKeys apiKeys, NotificationsConfig config) {
        this.perKey = IntStream.range(0, apiKeys.count())
                .mapToObj(i -> new TokenBucket(config.publishRatePerKey(), config.publishBurstPerKey()))
                .toArray(TokenBucket[]::new);
    }

    /** Takes one publish from the budget of a key ({@link ApiKeys#indexOf}; -1 for none); false when it is over its rate. */
    public boolean tryTake(int keyIndex) {
        return keyIndex < 0 || perKey[keyIndex].tryTake();
    }
}
