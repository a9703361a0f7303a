package org.acme.notifications.socket;

import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.Optional;

/**
 * Takes Vert.x's idle-timeout handler off an open socket that websockets-next pings more often than that timeout:
 * each ping is a write, which restarts the handler's timer, so it can never fire there. It would keep a handler and a
 * timer on every socket (277 bytes; docs/performance.md, "Lever 3"). A peer that went away without closing is found as before:
 * the kernel gives up on a ping it never acknowledges. Without pings (an operator who turned them off), the handler
 * stays and closes a socket silent for quarkus.http.idle-timeout.
 */
@ApplicationScoped
class IdleTimeoutRelease {

    private final boolean pingedMoreOften;

    IdleTimeoutRelease(@ConfigProperty(name = "quarkus.websockets-next.server.auto-ping-interval") Optional<Duration> autoPing,
                       @ConfigProperty(name = "quarkus.http.idle-timeout") Duration idleTimeout) {
        this.pingedMoreOften = autoPing.filter(interval -> !interval.isNegative() && !interval.isZero() && interval.compareTo(idleTimeout) < 0).isPresent();
    }

    /** On the socket's event loop, when it opens. */
    void opened(Channel channel) {
        if (pingedMoreOften && channel.pipeline().get(IdleStateHandler.class) != null) {
            channel.pipeline().remove(IdleStateHandler.class);
        }
    }
}
