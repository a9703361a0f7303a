package org.acme.notifications.outbox;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One connection's outbox on Netty's {@link EmbeddedChannel}, no socket and no Quarkus: a client that reads is played by
 * writes that complete, one that does not by writes held back ({@link Client}). What is written is read back with
 * Netty's own WebSocket decoder.
 */
class ConnectionOutboxTest {

    private static final int MAX_PENDING = 10;

    private final Client client = new Client();
    private EmbeddedChannel channel;
    private ChannelTransport transport;
    private ConnectionOutbox outbox;

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel(client);
        transport = new ChannelTransport(channel);
        outbox = new ConnectionOutbox(transport, MAX_PENDING, new NotificationMetrics(new SimpleMeterRegistry(), null));
    }

    @Test
    void aReplayIsWrittenInChunksOf32KiBThenTheLiveFramesInOrder() {
        List<String> replayed = IntStream.range(0, 100).mapToObj(i -> "replayed " + i + " " + "x".repeat(1000)).toList();
        client.holding = false;

        outbox.replay(TextFrames.encode(replayed).frames(), replayed.size());
        outbox.offer(TextFrames.encode(List.of("live 1", "live 2")));

        assertTrue(client.writes.stream().allMatch(write -> write.readableBytes() <= 32 * 1024), "chunks of at most 32 KiB");
        assertEquals(5, client.writes.size(), "100 KB of replay in 4 chunks, then the live batch in one write");
        List<String> expected = new ArrayList<>(replayed);
        expected.addAll(List.of("live 1", "live 2"));
        assertEquals(expected, client.texts());
    }

    @Test
    void oneWriteIsInTheChannelAtATimeTheNextWhenTheClientHasTakenIt() {
        outbox.offer(TextFrames.encode(List.of("first")));
        outbox.offer(TextFrames.encode(List.of("second")));
        outbox.offer(TextFrames.encode(List.of("third")));

        assertEquals(List.of("first"), client.texts());
        client.takeOne();
        assertEquals(List.of("first", "second"), client.texts());
        client.takeOne();
        client.takeOne();
        assertEquals(List.of("first", "second", "third"), client.texts());
        assertNull(transport.closedWith);
    }

    @Test
    void moreThanTheLimitWaitingClosesTheSocketWith4008AndNothingIsWrittenAfter() {
        outbox.offer(TextFrames.encode(List.of("in the channel")));
        for (int i = 0; i < MAX_PENDING - 1; i++) {
            outbox.offer(TextFrames.encode(List.of("waiting " + i)));
        }
        assertNull(transport.closedWith, "at the limit, not past it");

        outbox.offer(TextFrames.encode(List.of("one too many")));

        assertEquals(CloseCode.TOO_SLOW, transport.closedWith);
        assertEquals("too slow: reconnect with ?since=<last id>", transport.reason);
        assertTrue(channel.isActive(), "the client has its grace to read up to the close frame");
        channel.advanceTimeBy(ConnectionOutbox.CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(channel.isActive(), "then the connection is dropped");
        client.takeAll();
        outbox.offer(TextFrames.encode(List.of("after the close")));
        outbox.answer(TextFrames.encodeAnswer("{\"type\":\"error\"}"));
        assertEquals(List.of("in the channel"), client.texts(), "nothing after the close, not even what was queued");
    }

    /** Routing's close (4009): with the code's own reason, after what the channel has, and nothing after it. */
    @Test
    void aCloseFromRoutingDropsWhatWaitsAndWritesNothingAfter() {
        outbox.answer(TextFrames.encodeAnswer("{\"type\":\"unknown-id\"}"));
        outbox.offer(TextFrames.encode(List.of("queued behind it")));

        outbox.close(CloseCode.BEHIND);
        outbox.close(CloseCode.TOO_SLOW);
        client.takeAll();
        outbox.offer(TextFrames.encode(List.of("after the close")));

        assertEquals(CloseCode.BEHIND, transport.closedWith, "closed once, for the first reason");
        assertEquals(CloseCode.BEHIND.reason(), transport.reason);
        assertEquals(List.of("{\"type\":\"unknown-id\"}"), client.texts());
    }

    @Test
    void aBatchLargerThanTheLimitIsTakenWhenNothingWaits() {
        outbox.offer(TextFrames.encode(IntStream.range(0, MAX_PENDING * 3).mapToObj(i -> "n" + i).toList()));

        assertNull(transport.closedWith);
        assertEquals(MAX_PENDING * 3, client.texts().size());
    }

    @Test
    void aClientThatReadsNoAnswersIsClosedAtOnceAndItsConnectionDropped() {
        outbox = new ConnectionOutbox(transport, 1000, new NotificationMetrics(new SimpleMeterRegistry(), null)); // answers' own bound first
        for (int i = 0; i < ConnectionOutbox.MAX_UNREAD_ANSWERS; i++) {
            outbox.answer(TextFrames.encodeAnswer("{\"type\":\"error\",\"n\":" + i + "}"));
        }
        assertNull(transport.closedWith);
        assertTrue(channel.isActive());

        outbox.answer(TextFrames.encodeAnswer("{\"type\":\"error\"}"));

        assertEquals(CloseCode.TOO_SLOW, transport.closedWith);
        assertEquals("too slow: sends frames but reads no answers", transport.reason);
        assertFalse(channel.isActive(), "dropped without a grace period");
    }

    @Test
    void answersQueuedBeforeTheReplayStayAheadOfIt() {
        outbox.answer(TextFrames.encodeAnswer("{\"type\":\"subscribed\",\"channel\":\"a\"}"));
        outbox.answer(TextFrames.encodeAnswer("{\"type\":\"subscribed\",\"channel\":\"b\"}"));

        outbox.replay(TextFrames.encode(List.of("replayed")).frames(), 1);
        outbox.offer(TextFrames.encode(List.of("live")));
        client.takeAll();

        assertEquals(List.of("{\"type\":\"subscribed\",\"channel\":\"a\"}", "{\"type\":\"subscribed\",\"channel\":\"b\"}",
                "replayed", "live"), client.texts());
    }

    @Test
    void aFewFramesOfABatchThatMustWaitAreCopiedOutOfIt() {
        TextFrames batch = TextFrames.encode(IntStream.range(0, 100).mapToObj(i -> "n" + i).toList());
        outbox.offer(TextFrames.encode(List.of("in the channel")));

        outbox.offer(batch.subset(new int[] {7}));
        client.takeAll();

        assertEquals(List.of("in the channel", "n7"), client.texts());
        assertTrue(client.pinned.get(1) < batch.all().readableBytes() / 10, "a buffer of its own, not a view of the poll");
    }

    /** The far end of the channel: takes each write at once, or holds it (a client that does not read) until told. */
    private static final class Client extends ChannelOutboundHandlerAdapter {
        boolean holding = true;
        final List<ByteBuf> writes = new ArrayList<>();
        final List<Integer> pinned = new ArrayList<>(); // per write, the size of the buffer it is a view of
        private final ArrayDeque<ChannelPromise> held = new ArrayDeque<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBuf written = (ByteBuf) msg;
            writes.add(written.copy());
            ByteBuf root = written;
            while (root.unwrap() != null) {
                root = root.unwrap();
            }
            pinned.add(root.capacity());
            if (holding) {
                held.add(promise);
            } else {
                promise.setSuccess();
            }
        }

        void takeOne() {
            held.poll().setSuccess(); // the outbox writes its next frames from this completion
        }

        void takeAll() {
            holding = false;
            while (!held.isEmpty()) {
                takeOne();
            }
        }

        List<String> texts() {
            EmbeddedChannel decoder = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
            writes.forEach(write -> decoder.writeInbound(write.copy())); // the decoder releases what it reads
            List<String> texts = new ArrayList<>();
            for (TextWebSocketFrame frame; (frame = decoder.readInbound()) != null; ) {
                texts.add(frame.text());
                frame.release();
            }
            return texts;
        }
    }
}
