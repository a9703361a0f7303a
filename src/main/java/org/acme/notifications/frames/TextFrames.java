package org.acme.notifications.frames;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * WebSocket text frames (RFC 6455, 5.2: final, unmasked, as a server sends them), encoded once for every
 * socket that gets them. websockets-next's {@code sendText} would encode the text again for each socket;
 * at fan-out rates that was most of the service's CPU (docs/performance.md).
 *
 * <p>A batch is one buffer holding its frames one after the other: a socket that gets the whole batch
 * writes it with one write, and the history keeps a slice of it per notification. The buffers are shared
 * by every socket and freed by the garbage collector, never by a release; each write takes its own view.
 *
 * @param sharedBytes the size of the buffer the frames are views of: a socket that holds a few frames of a big
 *                    batch keeps all of it alive ({@link #detached()})
 */
public record TextFrames(ByteBuf all, ByteBuf[] frames, boolean notifications, int sharedBytes) {

    /** Notification frames, counted as delivered (or dropped) in the metrics. */
    public static TextFrames encode(List<String> texts) {
        return encode(texts, true);
    }

    /** An answer to a client's control frame: written in order with notifications, but not counted as one. */
    public static TextFrames encodeAnswer(String text) {
        return encode(List.of(text), false);
    }

    private static TextFrames encode(List<String> texts, boolean notifications) {
        byte[][] payloads = texts.stream().map(text -> text.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        long size = 0;
        for (byte[] payload : payloads) {
            size += headerLength(payload.length) + payload.length;
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(bufferSize(size));
        for (byte[] payload : payloads) {
            putFrame(buffer, payload);
        }
        return framesOf(buffer, notifications);
    }

    /** Frames already put in {@code buffer} one after the other, as shared views. */
    private static TextFrames framesOf(ByteBuffer buffer, boolean notifications) {
        buffer.flip();
        ByteBuf all = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(buffer));
        List<ByteBuf> frames = new ArrayList<>();
        for (int start = 0; start < all.writerIndex(); ) {
            int length = frameLength(all, start);
            frames.add(all.slice(start, length));
            start += length;
        }
        return new TextFrames(all, frames.toArray(ByteBuf[]::new), notifications, all.readableBytes());
    }

    /** One buffer holds at most 2 GiB: callers bound what they encode at once far below that. */
    private static int bufferSize(long size) {
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Too many bytes of frames for one buffer: " + size);
        }
        return (int) size;
    }

    /** One frame on its own, for a control frame or a notification loaded into the history. */
    public static ByteBuf encode(String text) {
        return encode(List.of(text)).all();
    }

    /** The frames at {@code indexes} (ascending), as one buffer over the same memory: for a socket that gets part of a batch. */
    public TextFrames subset(int[] indexes) {
        if (indexes.length == frames.length) {
            return this;
        }
        ByteBuf[] picked = new ByteBuf[indexes.length];
        for (int i = 0; i < indexes.length; i++) {
            picked[i] = frames[indexes[i]];
        }
        ByteBuf joined = picked.length == 1 ? picked[0]
                : Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(picked.length, duplicates(picked)));
        return new TextFrames(joined, picked, notifications, sharedBytes);
    }

    /**
     * These frames in a buffer of their own when they are less than half of the one they are views of, else as they
     * are: for a socket that must queue them, so that a client that stopped reading pins at most twice the bytes it
     * is owed, not every poll it was handed a frame of. Short of direct memory, they stay views.
     */
    public TextFrames detached() {
        int bytes = all.readableBytes();
        if (bytes * 2L >= sharedBytes) {
            return this;
        }
        ByteBuffer copy;
        try {
            copy = ByteBuffer.allocateDirect(bytes);
        } catch (OutOfMemoryError noDirectMemory) {
            return this;
        }
        for (ByteBuf frame : frames) {
            copy.put(frame.nioBuffer());
        }
        return framesOf(copy, notifications);
    }

    private static ByteBuf[] duplicates(ByteBuf[] buffers) {
        ByteBuf[] views = new ByteBuf[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            views[i] = buffers[i].duplicate();
        }
        return views;
    }

    public int count() {
        return frames.length;
    }

    /** How many of the frames are notifications, for the metrics. */
    public int notificationCount() {
        return notifications ? frames.length : 0;
    }

    /** The length, header included, of the frame at {@code start} (as {@link #putFrame} wrote it). */
    private static int frameLength(ByteBuf buffer, int start) {
        int length = buffer.getByte(start + 1) & 0x7F;
        if (length == 126) {
            return 4 + buffer.getUnsignedShort(start + 2);
        }
        if (length == 127) {
            return 10 + (int) buffer.getLong(start + 2);
        }
        return 2 + length;
    }

    private static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    private static void putFrame(ByteBuffer buffer, byte[] payload) {
        int length = payload.length;
        buffer.put((byte) 0x81); // FIN + text
        if (length < 126) {
            buffer.put((byte) length);
        } else if (length <= 0xFFFF) {
            buffer.put((byte) 126).putShort((short) length);
        } else {
            buffer.put((byte) 127).putLong(length);
        }
        buffer.put(payload);
    }
}
