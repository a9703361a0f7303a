package org.acme.notifications.inbox;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.NotificationsConfig;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The inbox's tables, from the Flyway migrations in {@code db/migration}. Migrated by the service itself when
 * PostgreSQL first answers, not at start-up (where Quarkus would refuse to start without it): a replica starts and
 * delivers live notifications while the database is down, and its inbox comes up with the database. Replicas that
 * migrate at once are serialized by Flyway's own lock.
 */
@ApplicationScoped
public class InboxSchema {

    private static final Logger LOG = Logger.getLogger(InboxSchema.class);
    /** After a failed migration, callers fail at once for this long before one tries again. */
    private static final long RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Flyway flyway;
    private final boolean enabled;
    private final Duration timeout;
    private final AtomicReference<Attempt> attempt = new AtomicReference<>();
    private volatile boolean migrated;

    /** One migration under way (or failed at {@code failedAt}), shared by every caller meanwhile. */
    private record Attempt(CompletableFuture<Void> done, AtomicLong failedAt) {
    }

    public InboxSchema(Flyway flyway, NotificationsConfig config) {
        this.flyway = flyway;
        this.enabled = config.inbox().enabled();
        this.timeout = config.inbox().timeout();
    }

    void migrateAtStart(@Observes StartupEvent event) {
        if (enabled) {
            migrated().subscribe().with(ignored -> { }, failure -> LOG.warnf(
                    "The inbox's database is not reachable yet (%s); live delivery goes on, the inbox waits for it",
                    failure.getMessage()));
        }
    }

    /**
     * Completes once the tables are there, migrating them first if need be: one migration at a time, on a worker
     * thread (JDBC blocks), awaited by every caller meanwhile, each for at most the inbox's timeout. While the database
     * is down, callers fail at once between attempts: nobody queues a worker thread behind a connect that hangs.
     */
    public Uni<Void> migrated() {
        if (migrated) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().completionStage(() -> current().done()).ifNoItem().after(timeout).fail();
    }

    private Attempt current() {
        Attempt last = attempt.get();
        long failedAt = last == null ? 0 : last.failedAt().get();
        if (last != null && (failedAt == 0 || System.nanoTime() - failedAt < RETRY_AFTER_NANOS)) {
            return last; // under way, or failed a moment ago
        }
        Attempt next = new Attempt(new CompletableFuture<>(), new AtomicLong());
        if (!attempt.compareAndSet(last, next)) {
            return attempt.get();
        }
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            try {
                migrate();
                next.done().complete(null);
            } catch (RuntimeException failure) {
                next.failedAt().set(Math.max(1, System.nanoTime()));
                next.done().completeExceptionally(failure);
            }
        });
        return next;
    }

    private void migrate() {
        var result = flyway.migrate();
        migrated = true;
        LOG.infof("Inbox schema at version %s (%d migrations applied now)", flyway.info().current().getVersion(),
                result.migrationsExecuted);
    }
}
