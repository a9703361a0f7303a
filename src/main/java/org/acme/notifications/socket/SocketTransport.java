package org.acme.notifications.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.util.concurrent.Future;
import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.Transport;

/**
 * A websockets-next connection as an outbox's transport. Frames are written as they are, encoded already, to the
 * socket's Netty channel from just before its WebSocket frame encoder ({@code toNetwork}), so they skip the two handlers
 * they would only pass through (Vert.x's own and the encoder, for every write and flush) and still pass every one
 * nearer the network: TLS, traffic shaping.
 */
record SocketTransport(WebSocketConnection connection, Channel channel, ChannelOutboundInvoker toNetwork) implements Transport {

    /** {@code toNetwork} is the encoder's context; the channel itself (its pipeline's tail) in a pipeline without one. */
    static SocketTransport of(WebSocketConnection connection, Channel channel) {
        ChannelHandlerContext encoder = channel.pipeline().context(WebSocketFrameEncoder.class);
        return new SocketTransport(connection, channel, encoder != null ? encoder : channel);
    }

    @Override
    public String id() {
        return "socket " + connection.id();
    }

    @Override
    public boolean isClosed() {
        return connection.isClosed() || !channel.isActive();
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
        return toNetwork.writeAndFlush(frames);
    }

    @Override
    public void close(CloseCode code, String reason) {
        SocketClose.close(connection, code, reason);
    }

    @Override
    public void drop() {
        channel.close();
    }
}
