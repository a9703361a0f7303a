package org.acme.notifications.delivery;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frames {@link FrameWriter} encodes by hand, read back by Netty's own WebSocket decoder (the one
 * clients built on Netty use), at each of the three payload-length encodings of RFC 6455.
 */
class FrameWriterTest {

    @ParameterizedTest(name = "{0} bytes of UTF-8")
    @ValueSource(ints = {0, 125, 126, 65_535, 65_536, 200_000})
    void aClientDecodesTheFrameAsTheSameText(int bytes) {
        String text = bytes == 0 ? "" : "é" + "x".repeat(bytes - 2); // é is two bytes
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));

        client.writeInbound(FrameWriter.textFrame(text).duplicate());

        TextWebSocketFrame frame = client.readInbound();
        assertTrue(frame.isFinalFragment());
        assertEquals(text, frame.text());
        frame.release();
    }
}
