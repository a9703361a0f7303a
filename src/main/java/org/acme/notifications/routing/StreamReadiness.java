package org.acme.notifications.routing;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the history is loaded (or given up on) and the live stream started: before that, a client
 * that resumes here would have to wait, so a load balancer should send it elsewhere.
 */
@Readiness
@ApplicationScoped
class StreamReadiness implements HealthCheck {

    private final NotificationBroadcaster broadcaster;

    StreamReadiness(NotificationBroadcaster broadcaster) {
        this.broadcaster = broadcaster;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("notification-stream").status(broadcaster.streamStarted()).build();
    }
}
