package org.acme.notifications.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.quarkus.websockets.next.WebSocketConnection;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.Transport;

/**
 * A websockets-next connection as an outbox's transport. Frames are written as they are, to the socket's Netty channel
 * from the pipeline's tail, the way Vert.x writes, so they pass every handler there: TLS, traffic shaping.
 */
record SocketTransport(WebSocketConnection connection, Channel channel) implements Transport {

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
        return channel.writeAndFlush(frames);
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
