package org.acme.notifications.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.util.concurrent.Future;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.net.impl.VertxHandler;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.Transport;

import java.util.Map;

/**
 * A websockets-next connection as an outbox's transport. Frames are written as they are, encoded already, to the
 * socket's Netty channel, through every handler on their way to the network: TLS and traffic shaping among them.
 * They start from just before the WebSocket frame encoder ({@code toNetwork}) when all that lies between it and the
 * pipeline's tail is inbound handlers and Vert.x's own, which passes writes on untouched: that saves walking the pipeline on every
 * write and flush. A handler there that acts on writes (Vert.x's idle timeout, its chunked writer under TLS) must see
 * these frames too, in order with Vert.x's own: then they start from the tail, like Vert.x's.
 */
record SocketTransport(WebSocketConnection connection, Channel channel, ChannelOutboundInvoker toNetwork) implements Transport {

    /** On the socket's event loop, once its pipeline is the WebSocket's (when it opens). */
    static SocketTransport of(WebSocketConnection connection, Channel channel) {
        return new SocketTransport(connection, channel, writeEntry(channel.pipeline()));
    }

    /** The encoder's context if nothing after it, toward the tail, acts on writes; the channel (its tail) otherwise. */
    static ChannelOutboundInvoker writeEntry(ChannelPipeline pipeline) {
        ChannelHandlerContext encoder = null;
        for (Map.Entry<String, ChannelHandler> handler : pipeline) {
            if (encoder == null) {
                if (handler.getValue() instanceof WebSocketFrameEncoder) {
                    encoder = pipeline.context(handler.getValue());
                }
            } else if (handler.getValue() instanceof ChannelOutboundHandler && !(handler.getValue() instanceof VertxHandler)) {
                return pipeline.channel();
            }
        }
        return encoder != null ? encoder : pipeline.channel();
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
