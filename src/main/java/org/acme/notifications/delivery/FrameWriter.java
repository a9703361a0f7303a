package org.acme.notifications.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.VoidChannelPromise;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.net.impl.ConnectionBase;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes broadcast frames, encoded once, straight to a socket's network channel. websockets-next's
 * {@code sendText} encodes the text again for every socket, builds a chain of futures per frame and
 * flushes each frame with its own system call; at fan-out rates that per-socket work was most of the
 * service's CPU (README, Performance). This handler sits first in the socket's Netty pipeline, so its
 * writes skip Vert.x's encoders; everything else (handshake, reading, pings, replays, close) stays with
 * websockets-next. Used on the socket's event loop only.
 */
final class FrameWriter extends ChannelOutboundHandlerAdapter {

    private static final UserData.TypedKey<FrameWriter> KEY = new UserData.TypedKey<>("frame-writer");

    private ChannelHandlerContext context;
    /** Completes no future per frame; a frame for a socket that just died is dropped without an error. */
    private VoidChannelPromise writes;

    static FrameWriter of(WebSocketConnection connection) {
        return connection.userData().get(KEY);
    }

    /** A final, unmasked text frame (RFC 6455, 5.2), as a server sends it; every socket writes a view of it. */
    static ByteBuf textFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        int length = payload.length;
        ByteBuffer frame = ByteBuffer.allocateDirect((length < 126 ? 2 : length <= 0xFFFF ? 4 : 10) + length);
        frame.put((byte) 0x81);
        if (length < 126) {
            frame.put((byte) length);
        } else if (length <= 0xFFFF) {
            frame.put((byte) 126).putShort((short) length);
        } else {
            frame.put((byte) 127).putLong(length);
        }
        frame.put(payload).flip();
        // Shared by every socket's write and freed by the garbage collector, never by a release.
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.context = context;
        this.writes = new VoidChannelPromise(context.channel(), false);
    }

    /** Frames handed to the channel and not yet taken by the kernel: a socket that does not read piles them up. */
    int unwrittenFrames() {
        ChannelOutboundBuffer unwritten = context.channel().unsafe().outboundBuffer();
        return unwritten == null ? 0 : unwritten.size();
    }

    void write(ByteBuf frame) {
        context.write(frame.duplicate(), writes);
    }

    /** One system call for everything written since the last flush. */
    void flush() {
        context.flush();
    }

    /** Puts a writer first in the pipeline of every socket as it opens. */
    @ApplicationScoped
    static class Installer implements HttpUpgradeCheck {

        @Override
        public Uni<CheckResult> perform(HttpUpgradeContext context) {
            // An upgrade is HTTP/1.1, whose Vert.x connections are all ConnectionBase; the channel becomes the socket's.
            ConnectionBase connection = (ConnectionBase) context.httpRequest().connection();
            FrameWriter writer = new FrameWriter();
            connection.channel().pipeline().addFirst(writer);
            context.userData().put(KEY, writer);
            return CheckResult.permitUpgrade();
        }
    }
}
