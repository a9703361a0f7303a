package org.acme.notifications;

import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.TimeUnit;

/**
 * Measures how late each Vert.x event loop runs: twice a second it schedules a task on every loop and records how
 * long after its due time it ran ({@code notifications_event_loop_lag_seconds}). A loop that is busy fanning out, or
 * blocked, delays every socket it serves by as much; Vert.x's blocked-thread warning only speaks after seconds.
 */
@Startup
@ApplicationScoped
public class EventLoopLagProbe {

    static final long INTERVAL_MS = 500;

    private final NotificationMetrics metrics;
    private volatile boolean stopped;

    public EventLoopLagProbe(Vertx vertx, NotificationMetrics metrics) {
        this.metrics = metrics;
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            probe(loop);
        }
    }

    private void probe(EventExecutor loop) {
        long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
        loop.schedule(() -> {
            metrics.eventLoopLag(Math.max(0, System.nanoTime() - due));
            if (!stopped) {
                probe(loop);
            }
        }, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
    }
}
