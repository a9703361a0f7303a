package org.acme.notifications.outbox;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import org.acme.notifications.frames.CloseCode;

/**
 * A transport over a bare Netty channel (an {@code EmbeddedChannel} in the tests and benchmarks): writes the frames as
 * they are, and records how it was closed instead of writing a close frame.
 */
public final class ChannelTransport implements Transport {

    private final Channel channel;
    CloseCode closedWith;
    String reason;

    public ChannelTransport(Channel channel) {
        this.channel = channel;
    }

    @Override
    public String id() {
        return "test-connection";
    }

    @Override
    public boolean isClosed() {
        return closedWith != null || !channel.isActive();
    }

    @Override
    public EventLoop loop() {
        return channel.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    @Override
    public Future<?> write(ByteBuf frames) {
        return channel.writeAndFlush(frames);
    }

    @Override
    public void close(CloseCode code, String reason) {
        closedWith = code;
        this.reason = reason;
    }

    @Override
    public void drop() {
        channel.close();
    }
}
