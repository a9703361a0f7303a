package org.acme.notifications.inbox;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;

/**
 * Enforces the inbox's retention: what is older than {@code notifications.inbox.retention}, and what is beyond each
 * user's newest {@code notifications.inbox.max-per-user}, is deleted, on one replica at a time. A purged item is gone
 * from lists and counts; the notification itself stays in Kafka for the topic's own retention.
 */
@ApplicationScoped
public class InboxPurge {

    private static final Logger LOG = Logger.getLogger(InboxPurge.class);

    private final InboxSchema schema;
    private final InboxStore store;
    private final NotificationsConfig.Inbox config;
    private final Clock clock = Clock.systemUTC();

    public InboxPurge(InboxSchema schema, InboxStore store, NotificationsConfig config) {
        this.schema = schema;
        this.store = store;
        this.config = config.inbox();
    }

    @Scheduled(every = "${notifications.inbox.purge-every}", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        if (!config.enabled()) {
            return Uni.createFrom().voidItem();
        }
        return now().onFailure().recoverWithItem(failure -> {
            LOG.warnf("The inbox purge did not run (%s); it runs again in %s", failure.getMessage(), config.purgeEvery());
            return -1;
        }).replaceWithVoid();
    }

    /** Purges now; -1 when another replica is purging. */
    Uni<Integer> now() {
        Duration retention = config.retention();
        return schema.migrated()
                .chain(() -> store.purge(clock.instant().minus(retention), config.maxPerUser()))
                .invoke(deleted -> {
                    if (deleted > 0) {
                        LOG.infof("Inbox purge: %d stored notifications deleted (older than %s, or beyond a user's newest %d)",
                                deleted, retention, config.maxPerUser());
                    }
                });
    }
}
