package org.acme.notifications.inbox;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.health.api.HealthGroup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code /q/health/group/inbox}: whether PostgreSQL answers and the writer stores. Deliberately in a group of its own,
 * never in liveness or readiness: a pod whose database is down still delivers live notifications, and must neither be
 * restarted nor taken out of its Service for it (docs/inbox.md). Monitoring alerts on this group instead.
 */
@HealthGroup("inbox")
@ApplicationScoped
public class InboxHealth implements AsyncHealthCheck {

    private final InboxStore store;
    private final InboxState state;
    private final boolean enabled;

    public InboxHealth(InboxStore store, InboxState state, NotificationsConfig config) {
        this.store = store;
        this.state = state;
        this.enabled = config.inbox().enabled();
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("inbox").withData("enabled", enabled);
        if (!enabled) {
            return Uni.createFrom().item(response.up().build());
        }
        return store.ping()
                .map(ignored -> {
                    Throwable failure = state.lastFailure();
                    return failure == null ? response.up().build()
                            : response.down().withData("writer", "failing since " + state.failingSince() + ": " + failure.getMessage()).build();
                })
                .onFailure().recoverWithItem(failure -> response.down().withData("database", String.valueOf(failure.getMessage())).build());
    }
}
