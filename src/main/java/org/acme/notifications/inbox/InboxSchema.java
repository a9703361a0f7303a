package org.acme.notifications.inbox;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.NotificationsConfig;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * The inbox's tables, from the Flyway migrations in {@code db/migration}. Migrated by the service itself when
 * PostgreSQL first answers, not at start-up (where Quarkus would refuse to start without it): a replica starts and
 * delivers live notifications while the database is down, and its inbox comes up with the database. Replicas that
 * migrate at once are serialized by Flyway's own lock.
 */
@ApplicationScoped
public class InboxSchema {

    private static final Logger LOG = Logger.getLogger(InboxSchema.class);

    private final Flyway flyway;
    private final boolean enabled;
    private volatile boolean migrated;

    public InboxSchema(Flyway flyway, NotificationsConfig config) {
        this.flyway = flyway;
        this.enabled = config.inbox().enabled();
    }

    void migrateAtStart(@Observes StartupEvent event) {
        if (enabled) {
            migrated().subscribe().with(ignored -> { }, failure -> LOG.warnf(
                    "The inbox's database is not reachable yet (%s); live delivery goes on, the inbox waits for it",
                    failure.getMessage()));
        }
    }

    /** Completes once the tables are there, migrating them first if need be (on a worker thread: JDBC blocks). */
    public Uni<Void> migrated() {
        if (migrated) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().<Void>item(() -> {
            migrate();
            return null;
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private synchronized void migrate() {
        if (!migrated) {
            var result = flyway.migrate();
            migrated = true;
            LOG.infof("Inbox schema at version %s (%d migrations applied now)", flyway.info().current().getVersion(),
                    result.migrationsExecuted);
        }
    }
}
