package org.acme.notifications.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A transport that writes nothing: it notes what routing hands it, in order, one line per frame. A notification is its
 * id ({@code 0-3}); a control frame its type and what matters of it ({@code resumed 2}, {@code subscribed a after 0-3});
 * a close {@code close 4009}. Anything handed to it after its close is noted as a fault: a transport writes nothing
 * after its close frame, and routing should not ask it to.
 */
final class RecordingOutbox implements Outbox {

    private static final ObjectMapper JSON = new ObjectMapper();

    final List<String> received = new ArrayList<>();
    private final String id;
    private boolean closed;

    RecordingOutbox(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void answer(TextFrames answer) {
        Arrays.stream(answer.frames()).forEach(this::note);
    }

    @Override
    public void replay(ByteBuf[] frames, int notifications) {
        Arrays.stream(frames).forEach(this::note);
    }

    @Override
    public void offer(TextFrames batch) {
        Arrays.stream(batch.frames()).forEach(this::note);
    }

    @Override
    public void close(CloseCode why) {
        received.add((closed ? "closed again: " : "close ") + why.code());
        closed = true;
    }

    private void note(ByteBuf frame) {
        received.add((closed ? "after the close: " : "") + describe(read(frame)));
    }

    private static String describe(JsonNode json) {
        if (json.has("message")) {
            return json.get("id").asText();
        }
        String type = json.get("type").asText();
        return switch (type) {
            case "subscribed", "unsubscribed" -> type + " " + json.get("channel").asText()
                    + (json.has("after") ? " after " + json.get("after").asText() : "");
            case "resumed" -> type + " " + json.get("replayed").asInt();
            case "history-gap" -> type + " from " + json.path("oldest").asText("none");
            case "unknown-id" -> type + " " + json.path("unknown");
            case "error" -> type + " " + json.get("code").asText();
            default -> type;
        };
    }

    /** The payload of a server's text frame (RFC 6455, 5.2: unmasked). */
    private static JsonNode read(ByteBuf frame) {
        int start = frame.readerIndex();
        int length = frame.getByte(start + 1) & 0x7F;
        int header = length == 126 ? 4 : length == 127 ? 10 : 2;
        try {
            return JSON.readTree(frame.toString(start + header, frame.readableBytes() - header, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
