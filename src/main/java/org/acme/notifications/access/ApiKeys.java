package org.acme.notifications.access;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** Who may publish and subscribe: API keys from configuration, compared in constant time. */
@ApplicationScoped
public class ApiKeys {

    private static final Logger LOG = Logger.getLogger(ApiKeys.class);
    private static final String BEARER = "bearer ";

    // Digests of equal length, so that comparing them leaks neither content nor length.
    private final List<byte[]> keyDigests;
    private final boolean publishRequiresKey;
    private final boolean subscribeRequiresKey;

    @Inject
    public ApiKeys(NotificationsConfig config) {
        this(config.apiKeys().orElse(List.of()), config.publishRequiresKey(), config.subscribeRequiresKey());
    }

    ApiKeys(List<String> keys, boolean publishRequiresKey, boolean subscribeRequiresKey) {
        this.keyDigests = keys.stream().map(String::strip).filter(key -> !key.isEmpty()).map(ApiKeys::digest).toList();
        this.publishRequiresKey = publishRequiresKey;
        this.subscribeRequiresKey = subscribeRequiresKey;
    }

    void warnWhenNobodyMayPublish(@Observes StartupEvent event) {
        if (publishRequiresKey && keyDigests.isEmpty()) {
            LOG.warn("No API key is configured (notifications.api-keys / NOTIFICATIONS_API_KEYS): publishing over REST "
                    + "and the socket is refused with 401. Kafka producers can still publish to the topic.");
        }
    }

    /**
     * Which configured key {@code key} is (its index), or -1 when it is none of them: a publisher that sends
     * a configured key is known by it, and rate-limited as one, over REST and every socket alike.
     */
    public int indexOf(String key) {
        if (key == null) {
            return -1;
        }
        byte[] presented = digest(key);
        int index = -1;
        for (int i = 0; i < keyDigests.size(); i++) {
            if (MessageDigest.isEqual(keyDigests.get(i), presented) && index == -1) { // no early exit
                index = i;
            }
        }
        return index;
    }

    /**
     * Who publishes with {@code key}, for {@code Idempotency-Key}s: the first 8 bytes of its SHA-256, in hex (the
     * same on every replica, whatever the order of the keys; revealing nothing of a random key), or {@code anonymous}
     * without one.
     */
    public static String publisherOf(String key) {
        return key == null ? "anonymous" : "key-" + HexFormat.of().formatHex(digest(key), 0, 8);
    }

    /** How many keys are configured. */
    public int count() {
        return keyDigests.size();
    }

    /** {@code key} may be null (none presented). */
    public boolean mayPublish(String key) {
        return !publishRequiresKey || isValid(key);
    }

    public boolean maySubscribe(String key) {
        return !subscribeRequiresKey || isValid(key);
    }

    /**
     * The credentials in an {@code Authorization: Bearer <...>} header, or null: an API key on REST, an access token
     * on the socket ({@link AccessTokens}).
     */
    public static String fromAuthorization(String header) {
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return header.substring(BEARER.length()).strip();
    }

    private boolean isValid(String key) {
        return indexOf(key) >= 0;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }
}
