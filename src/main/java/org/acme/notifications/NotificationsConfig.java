package org.acme.notifications;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Settings of the notification service, under the {@code notifications.} prefix. */
@ConfigMapping(prefix = "notifications")
public interface NotificationsConfig {

    /** The Kafka topic every notification goes through (env {@code NOTIFICATIONS_TOPIC}). */
    @WithDefault("notifications")
    String topic();

    /** Where records that are not notifications are copied (env {@code NOTIFICATIONS_DEAD_LETTER_TOPIC}). */
    @WithDefault("notifications-dlq")
    String deadLetterTopic();

    /** Largest accepted message, in UTF-8 bytes. */
    @WithDefault("4096")
    int maxMessageBytes();

    /**
     * How long a publisher waits for the broker's acknowledgement before answering 503. Bounds the
     * wait even when many sends queue up behind an unreachable broker. Longer than the producer's
     * delivery.timeout.ms (15 s), so that a publish is not refused while the producer still retries it; a 503
     * still means only "not confirmed" (a record queued behind a full producer may be written later).
     * A keyed publish's write and read-back share it.
     */
    @WithDefault("16s")
    Duration publishTimeout();

    /** Keys that may publish (env {@code NOTIFICATIONS_API_KEYS}, comma-separated). Keep them in a secret, never in the repo. */
    Optional<List<String>> apiKeys();

    /** Notifications one API key may publish per second, on average, over REST and all its sockets together. */
    @WithDefault("100")
    double publishRatePerKey();

    /** Notifications one API key may publish at once before its rate applies. */
    @WithDefault("200")
    int publishBurstPerKey();

    /** Whether publishing over REST or the socket needs an API key. On in production; the dev and test profiles turn it off. */
    @WithDefault("true")
    boolean publishRequiresKey();

    /** Whether opening a socket needs an API key. Reading is open by default. */
    @WithDefault("false")
    boolean subscribeRequiresKey();

    /**
     * Whether opening a socket needs a valid access token: anonymous sockets (broadcasts and public channels only)
     * are then refused with 401.
     */
    @WithDefault("false")
    boolean subscribeRequiresToken();

    /** Who may subscribe to which channel; a channel no rule names cannot be subscribed to. */
    Channels channels();

    interface Channels {
        /** Channels anyone may subscribe to, anonymous sockets included: names, or prefixes ending in {@code *}. */
        @WithName("public")
        Optional<List<String>> publicChannels();

        /** Channels any socket with a valid access token may subscribe to. */
        Optional<List<String>> signedIn();

        /**
         * Channels that need a group: {@code notifications.channels.groups.ops=ops,incident-*} lets sockets whose
         * token lists {@code ops} in its {@code groups} claim subscribe to {@code ops} and every {@code incident-...}.
         */
        Map<String, List<String>> groups();

        /** Channels one socket may be subscribed to at once. */
        @WithDefault("100")
        int maxPerSocket();
    }

    /** Limits of the socket endpoint. */
    Socket socket();

    interface Socket {
        /** Open sockets and event streams this instance accepts, together; past it the upgrade (or stream) is answered 503. */
        @WithDefault("20000")
        int maxConnections();

        /** Frames waiting to be written to one socket or stream; past it, it is closed with 4008 (too slow). */
        @WithDefault("1000")
        int maxPendingFrames();

        /** Notifications one socket may publish per second, on average. */
        @WithDefault("10")
        double publishRate();

        /** Notifications one socket may publish at once before the rate applies. */
        @WithDefault("20")
        int publishBurst();

        /** Origins allowed besides the service's own ({@code https://example.com}), for sockets and streams; other sites' pages get 403. */
        Optional<List<String>> allowedOrigins();
    }

    /** The event stream ({@code /sse/notifications}); its limits are the socket's. */
    Sse sse();

    interface Sse {
        /**
         * How often an idle stream gets a comment line, so that proxies do not close it and clients can tell a dead
         * connection from a quiet one: 15-30 s suits most proxies.
         */
        @WithDefault("20s")
        Duration keepAlive();
    }

    /** How far back a reconnecting client can resume ({@code ?since=<id>}). */
    History history();

    interface History {
        /** Most recent notifications kept in memory (all partitions together), loaded from Kafka at start-up. */
        @WithDefault("10000")
        int size();

        /**
         * Most bytes of notification frames kept in memory, all partitions together: past it the oldest are dropped,
         * as past {@link #size()}. Bounds the history (and its load at start-up) whatever the size of the messages.
         */
        @WithDefault("16M")
        MemorySize maxBytes();

        /** Notifications older than this are not replayed. */
        @WithDefault("24h")
        Duration maxAge();

        /** Longest wait at start-up for Kafka to hand over the history; the service starts without it after that. */
        @WithDefault("15s")
        Duration loadTimeout();

        /**
         * Most bytes of notification frames one resume replays; past it, the oldest are left out and a
         * {@code history-gap} frame says so. Bounds what a client that resumes and never reads can hold.
         */
        @WithDefault("1M")
        MemorySize maxReplay();

        /**
         * How long a socket whose {@code since} is ahead of this instance (history still loading, or this replica
         * behind the one the client came from) waits for it. Then an id beyond the end of the topic is answered
         * {@code unknown-id}, and one in the topic closes the socket with 4009: the client may retry.
         */
        @WithDefault("10s")
        Duration catchUpTimeout();
    }

    /** Each user's stored notifications, in PostgreSQL (docs/inbox.md). */
    Idempotency idempotency();

    /** {@code Idempotency-Key}: a publish repeated with the same key within the window is delivered and stored once. */
    interface Idempotency {
        /** How long after the first a repeat is recognised (by the records' timestamps). */
        @WithDefault("5m")
        Duration window();

        /**
         * The keys each replica holds, whatever the window: past it the oldest are forgotten (logged), which bounds the
         * memory to about 300 bytes a key.
         */
        @WithDefault("100000")
        int maxKeys();
    }

    Inbox inbox();

    interface Inbox {
        /** Off: nothing is stored, the inbox API answers 404 and sockets get no {@code inbox} frames (live only). */
        @WithDefault("true")
        boolean enabled();

        /** Stored notifications older than this are purged. */
        @WithDefault("90d")
        Duration retention();

        /** Only the newest this many of each user's stored notifications are kept. */
        @WithDefault("1000")
        int maxPerUser();

        /** How often the purge runs (on one replica at a time). */
        @WithDefault("1h")
        Duration purgeEvery();

        /** Inbox calls that PostgreSQL has not answered within this get a 503. */
        @WithDefault("5s")
        Duration timeout();

        /** The topic that tells every replica whose counts changed (keyed by user). */
        @WithDefault("notifications-inbox-events")
        String eventsTopic();
    }
}
