package org.acme.notifications.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.net.impl.VertxHandler;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.sameInstance;

/**
 * Where a socket's frames enter its pipeline: just before the frame encoder when only inbound handlers and Vert.x's
 * handler, which passes writes on, lie between it and the tail; from the tail when a handler there acts on writes,
 * so that they stay in order with what Vert.x writes.
 */
class SocketTransportTest {

    @Test
    void withOnlyPassThroughHandlersBehindTheEncoderFramesStartAtTheEncoder() {
        WebSocket13FrameEncoder encoder = new WebSocket13FrameEncoder(false);
        // As a Vert.x HTTP/1.1 connection's pipeline is after the upgrade (with decompression on).
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 65536), encoder,
                new HttpContentDecompressor(), vertxHandler());

        assertThat(SocketTransport.writeEntry(channel.pipeline()), sameInstance(channel.pipeline().context(encoder)));
        channel.writeOneOutbound(frame("vertx")); // what Vert.x writes from its handler, not yet flushed
        SocketTransport.writeEntry(channel.pipeline()).writeAndFlush(frame("outbox"));
        assertNextOut(channel, "vertx");
        assertNextOut(channel, "outbox");
    }

    @Test
    void aHandlerBehindTheEncoderThatActsOnWritesSeesEveryFrameInOrder() {
        for (ChannelHandler actsOnWrites : new ChannelHandler[]{new IdleStateHandler(0, 0, 30, TimeUnit.MINUTES), new ChunkedWriteHandler()}) {
            EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 65536),
                    new WebSocket13FrameEncoder(false), actsOnWrites, vertxHandler());

            assertThat(actsOnWrites.toString(), SocketTransport.writeEntry(channel.pipeline()), sameInstance(channel));
            // The chunked writer holds Vert.x's frame until a flush passes it: the outbox's must not overtake it.
            channel.pipeline().context(VertxHandler.class).write(frame("vertx"));
            SocketTransport.writeEntry(channel.pipeline()).writeAndFlush(frame("outbox"));
            assertNextOut(channel, "vertx");
            assertNextOut(channel, "outbox");
        }
    }

    @Test
    void withoutAnEncoderFramesStartAtTheTail() {
        EmbeddedChannel channel = new EmbeddedChannel(vertxHandler());

        assertThat(SocketTransport.writeEntry(channel.pipeline()), sameInstance(channel));
    }

    private static ByteBuf frame(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static void assertNextOut(EmbeddedChannel channel, String text) {
        ByteBuf written = channel.readOutbound();
        assertThat(written.toString(StandardCharsets.US_ASCII), equalTo(text));
        written.release();
    }

    private static VertxHandler<?> vertxHandler() {
        return VertxHandler.create(context -> null); // no Vert.x connection: only its place in the pipeline matters
    }
}
