package org.acme.notifications.frames;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;

import java.util.ArrayList;
import java.util.List;

/** Notifications and control frames as the JSON text frames every subscriber is sent ({@link TextFrames}). */
@ApplicationScoped
public class FrameEncoder {

    /** The most bytes of JSON one buffer of the loaded history holds: a large load is encoded in pieces of this. */
    static final int PIECE_BYTES = 1 << 20;

    private final ObjectMapper mapper;

    public FrameEncoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** One live batch, one buffer: every subscriber that gets all of it writes it at once. */
    public TextFrames notifications(List<Notification> batch) {
        return TextFrames.encode(batch.stream().map(this::json).toList());
    }

    /**
     * The loaded history, one frame per notification, in buffers of about {@link #PIECE_BYTES} each: never one buffer
     * for all, which could not be allocated (or even sized) for a large load, and which every frame would pin.
     */
    public List<ByteBuf> history(List<Notification> notifications) {
        List<ByteBuf> frames = new ArrayList<>(notifications.size());
        List<String> piece = new ArrayList<>();
        long pieceBytes = 0;
        for (int i = 0; i < notifications.size(); i++) {
            String json = json(notifications.get(i));
            piece.add(json);
            pieceBytes += json.length();
            if (pieceBytes >= PIECE_BYTES || i == notifications.size() - 1) {
                frames.addAll(List.of(TextFrames.encode(piece).frames()));
                piece.clear();
                pieceBytes = 0;
            }
        }
        return frames;
    }

    /** A control frame on its own, for a replay. */
    public ByteBuf control(ControlFrame frame) {
        return TextFrames.encode(json(frame));
    }

    /** A control frame that answers a client: queued and bounded like a notification, not counted as one. */
    public TextFrames answer(ControlFrame frame) {
        return TextFrames.encodeAnswer(json(frame));
    }

    /** A signed-in subscriber's counts: queued and bounded like an answer. */
    public TextFrames inbox(InboxFrame frame) {
        return TextFrames.encodeAnswer(json(frame));
    }

    private String json(Object frame) {
        try {
            return mapper.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Frames always serialize", e);
        }
    }
}
