package org.acme.notifications.frames;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frames {@link TextFrames} encodes by hand, read back by Netty's own WebSocket decoder (the one
 * clients built on Netty use): at each of the three payload-length encodings of RFC 6455, and as a
 * batch, both whole and slice by slice.
 */
class TextFramesTest {

    @ParameterizedTest(name = "{0} bytes of UTF-8")
    @ValueSource(ints = {0, 125, 126, 65_535, 65_536, 200_000})
    void aClientDecodesTheFrameAsTheSameText(int bytes) {
        String text = textOf(bytes);

        assertEquals(List.of(text), decode(TextFrames.encode(text)));
    }

    @Test
    void aBatchIsItsFramesInARowAndEachSliceIsOneOfThem() {
        List<String> texts = List.of(textOf(0), textOf(125), textOf(126), textOf(70_000), "{\"message\":\"ünïcödé ✓\"}");

        TextFrames batch = TextFrames.encode(texts);

        assertEquals(texts.size(), batch.count());
        assertEquals(texts, decode(batch.all()));
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(List.of(texts.get(i)), decode(batch.frames()[i]));
        }
        assertEquals(texts, decode(batch.all()), "decoding views leaves the shared buffer as it was");
    }

    /**
     * A socket that must queue a few frames of a big batch (a sparse channel, one user; its client stopped reading)
     * queues a copy of them: it must not pin the whole poll's buffer. A socket that gets most of a batch shares it.
     */
    @Test
    void aFewFramesOfABigBatchAreDetachedAndMostOfOneAreShared() {
        List<String> texts = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "{\"message\":\"" + i + "\"}").toList();
        TextFrames batch = TextFrames.encode(texts);

        TextFrames few = batch.subset(new int[] {3, 50}).detached();
        TextFrames most = batch.subset(java.util.stream.IntStream.range(1, 100).toArray()).detached();

        assertEquals(List.of(texts.get(3), texts.get(50)), decode(few.all()));
        assertTrue(few.all().capacity() < batch.all().readableBytes() / 10, "a copy of its own two frames");
        assertTrue(java.util.Arrays.stream(few.frames()).allMatch(frame -> root(frame) != root(batch.all())),
                "no frame of the copy is a view of the batch");
        assertEquals(texts.subList(1, 100), decode(most.all()));
        assertTrue(java.util.Arrays.stream(most.frames()).allMatch(frame -> root(frame) == root(batch.all())));
    }

    /** The buffer a view is over. */
    private static ByteBuf root(ByteBuf buffer) {
        ByteBuf root = buffer;
        while (root.unwrap() != null) {
            root = root.unwrap();
        }
        return root;
    }

    private static String textOf(int bytes) {
        return bytes == 0 ? "" : "é" + "x".repeat(bytes - 2); // é is two bytes
    }

    private static List<String> decode(ByteBuf frames) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
        client.writeInbound(frames.duplicate());
        List<String> texts = new ArrayList<>();
        for (TextWebSocketFrame frame; (frame = client.readInbound()) != null; ) {
            assertTrue(frame.isFinalFragment());
            texts.add(frame.text());
            frame.release();
        }
        return texts;
    }
}
