package org.acme.notifications;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Measures how late each Vert.x event loop runs: twice a second it schedules a task on every loop and records how
 * long after its due time it ran ({@code notifications_event_loop_lag_seconds}). A loop that is busy fanning out, or
 * blocked, delays every socket it serves by as much; Vert.x's blocked-thread warning only speaks after seconds. Two
 * probes a second sample the lag, they do not catch every stall: one of 100 ms is seen about one time in five.
 */
@Startup
@ApplicationScoped
public class EventLoopLagProbe {

    static final long INTERVAL_MS = 500;

    private final NotificationMetrics metrics;
    /** The next probe of each loop, cancelled at shutdown (in dev mode Vert.x outlives the application). */
    private final Map<EventExecutor, ScheduledFuture<?>> next = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    public EventLoopLagProbe(Vertx vertx, NotificationMetrics metrics) {
        this.metrics = metrics;
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            probe(loop);
        }
    }

    private void probe(EventExecutor loop) {
        if (stopped) {
            return;
        }
        long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
        try {
            next.put(loop, loop.schedule(() -> {
                metrics.eventLoopLag(Math.max(0, System.nanoTime() - due));
                probe(loop);
            }, INTERVAL_MS, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException shuttingDown) {
            // the loop is closing: nothing left to measure
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        next.values().forEach(probe -> probe.cancel(false));
    }
}
