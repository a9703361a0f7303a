package org.acme.notifications.socket;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The idle-timeout handler goes only where pings come more often than the timeout would fire. */
class IdleTimeoutReleaseTest {

    private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(30);

    @Test
    void aSocketPingedMoreOftenThanTheIdleTimeoutLosesTheHandler() {
        EmbeddedChannel channel = socketChannel();

        new IdleTimeoutRelease(Optional.of(Duration.ofSeconds(30)), IDLE_TIMEOUT).opened(channel);

        assertThat(channel.pipeline().get(IdleStateHandler.class), nullValue());
        assertThat(channel.pipeline().get("handler"), notNullValue());
    }

    @Test
    void withoutPingsOrWithRarePingsTheHandlerStays() {
        for (Optional<Duration> autoPing : new Optional[]{Optional.empty(), Optional.of(Duration.ZERO), Optional.of(Duration.ofSeconds(-1)), Optional.of(Duration.ofHours(1))}) {
            EmbeddedChannel channel = socketChannel();

            new IdleTimeoutRelease(autoPing, IDLE_TIMEOUT).opened(channel);

            assertThat("auto-ping " + autoPing, channel.pipeline().get(IdleStateHandler.class), notNullValue());
        }
    }

    @Test
    void aChannelWithoutTheHandlerIsLeftAsItIs() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("handler", new ChannelInboundHandlerAdapter());

        new IdleTimeoutRelease(Optional.of(Duration.ofSeconds(30)), IDLE_TIMEOUT).opened(channel);

        assertThat(channel.pipeline().get("handler"), notNullValue());
    }

    /** As Vert.x builds an HTTP/1.1 server connection's pipeline: the idle handler before its own. */
    private static EmbeddedChannel socketChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("idle", new IdleStateHandler(0, 0, IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        channel.pipeline().addLast("handler", new ChannelInboundHandlerAdapter());
        return channel;
    }
}
