package org.acme.notifications.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.acme.notifications.NotificationId;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.history.ResumePosition;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * One event stream's framing: the WebSocket text frames routing encoded once for every subscriber, rewritten as
 * Server-Sent Events. The JSON of each frame is written as it is, between this stream's own lines:
 * <ul>
 *   <li>a notification ({@code {"id":...}}) is {@code id: <position>} and {@code data: <json>};</li>
 *   <li>a control frame ({@code {"type":"resumed",...}}) is the named event {@code event: resumed} and its
 *       {@code data:}, with the same {@code id:} line ({@code error}, which an {@code EventSource} would take for its
 *       own error event, is named {@code refused}: on a stream only channels are refused).</li>
 * </ul>
 * The position is the last offset this stream saw of every partition ({@code 0-41,1-17,2-9}), starting from where
 * it resumed: the browser sends it back as {@code Last-Event-ID} when it reconnects, and the resume is exact.
 * {@code unknown-id} forgets what it names (all of it for a position that is not one), so the stream's next
 * {@code id:} line makes the browser forget it too. Not thread-safe: one stream's writes happen on its event loop.
 */
final class EventStreamFrames {

    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NOTIFICATION_START = "{\"id\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CONTROL_START = "{\"type\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final Map<Integer, Long> position = new TreeMap<>();
    private byte[] idLine;

    /** A stream that resumes from {@code from} (null: from now on). */
    EventStreamFrames(ResumePosition from) {
        if (from != null) {
            position.putAll(from.lastSeen());
        }
        idLine = idLine();
    }

    /**
     * A comment line, which keeps proxies and the browser from taking an idle stream for a dead one. A buffer of its
     * own each time: one shared by every stream would share its reader index across event loops (and could not be in
     * a native image's heap).
     */
    static ByteBuf keepAlive() {
        return Unpooled.wrappedBuffer(KEEP_ALIVE);
    }

    /** How long the browser waits before it reconnects a stream that ended: the first bytes of every stream. */
    static ByteBuf opening(long retryMillis) {
        return Unpooled.wrappedBuffer(("retry: " + retryMillis + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The last event of a stream that the service ends: {@code event: close}, with the code and reason of a socket's close. */
    static ByteBuf close(CloseCode code, String reason) {
        String data = new JsonObject().put("type", "close").put("code", code.code()).put("reason", reason).encode();
        return Unpooled.wrappedBuffer(("event: close\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The events of {@code frames}: one or more whole WebSocket text frames, back to back. */
    ByteBuf events(ByteBuf frames) {
        ByteBuf events = Unpooled.buffer(frames.readableBytes() + 64);
        int at = frames.readerIndex();
        int end = frames.writerIndex();
        while (at < end) {
            int lengthByte = frames.getByte(at + 1) & 0x7F;
            int header = lengthByte < 126 ? 2 : lengthByte == 126 ? 4 : 10;
            int length = lengthByte < 126 ? lengthByte : lengthByte == 126 ? frames.getUnsignedShort(at + 2) : (int) frames.getLong(at + 2);
            event(frames, at + header, length, events);
            at += header + length;
        }
        return events;
    }

    /** The last position this stream sent, as its {@code id:} says it: empty before it saw anything. */
    String position() {
        StringJoiner ids = new StringJoiner(",");
        position.forEach((partition, offset) -> ids.add(new NotificationId(partition, offset).toString()));
        return ids.toString();
    }

    private void event(ByteBuf frames, int json, int length, ByteBuf events) {
        if (startsWith(frames, json, length, NOTIFICATION_START)) {
            saw(frames, json + NOTIFICATION_START.length);
        } else if (startsWith(frames, json, length, CONTROL_START)) {
            String type = text(frames, json + CONTROL_START.length, json + length);
            if (type.equals("unknown-id")) {
                forget(frames.toString(json, length, StandardCharsets.UTF_8));
            }
            events.writeBytes(EVENT).writeBytes((type.equals("error") ? "refused" : type).getBytes(StandardCharsets.UTF_8)).writeByte('\n');
        }
        events.writeBytes(idLine);
        events.writeBytes(DATA).writeBytes(frames, json, length).writeBytes(END);
    }

    /** A notification's id, {@code <partition>-<offset>"}, read where it starts. */
    private void saw(ByteBuf frames, int at) {
        int partition = 0;
        byte b;
        while ((b = frames.getByte(at++)) != '-') {
            partition = partition * 10 + (b - '0');
        }
        long offset = 0;
        while ((b = frames.getByte(at++)) != '"') {
            offset = offset * 10 + (b - '0');
        }
        position.put(partition, offset);
        idLine = idLine();
    }

    /** An {@code unknown-id} frame: its {@code unknown} ids are in no partition; without them the whole position is unknown. */
    private void forget(String json) {
        JsonArray unknown = new JsonObject(json).getJsonArray("unknown");
        if (unknown == null) {
            position.clear();
        } else {
            unknown.stream().map(id -> NotificationId.parse(String.valueOf(id))).filter(id -> id != null)
                    .forEach(id -> position.remove(id.partition()));
        }
        idLine = idLine();
    }

    private byte[] idLine() {
        String position = position();
        return (position.isEmpty() ? "id:\n" : "id: " + position + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static boolean startsWith(ByteBuf frames, int at, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (frames.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String text(ByteBuf frames, int from, int end) {
        int to = from;
        while (to < end && frames.getByte(to) != '"') {
            to++;
        }
        return frames.toString(from, to - from, StandardCharsets.US_ASCII);
    }
}
