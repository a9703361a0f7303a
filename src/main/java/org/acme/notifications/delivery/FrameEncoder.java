package org.acme.notifications.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.Notification;

import java.util.ArrayList;
import java.util.List;

/** Notifications and control frames as the JSON text frames every subscriber is sent ({@link TextFrames}). */
@ApplicationScoped
class FrameEncoder {

    /** The most bytes of JSON one buffer of the loaded history holds: a large load is encoded in pieces of this. */
    static final int PIECE_BYTES = 1 << 20;

    private final ObjectMapper mapper;

    FrameEncoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** One live batch, one buffer: every socket that gets all of it writes it at once. */
    TextFrames notifications(List<ReceivedNotification> batch) {
        return TextFrames.encode(batch.stream().map(received -> json(received.notification())).toList());
    }

    /**
     * The loaded history as entries of the replay history, in buffers of about {@link #PIECE_BYTES} each: never one
     * buffer for all, which could not be allocated (or even sized) for a large load, and which every entry would pin.
     */
    List<RecentNotifications.Entry> history(List<ReceivedNotification> notifications) {
        List<RecentNotifications.Entry> entries = new ArrayList<>(notifications.size());
        List<String> piece = new ArrayList<>();
        long pieceBytes = 0;
        int pieceStart = 0;
        for (int i = 0; i < notifications.size(); i++) {
            String json = json(notifications.get(i).notification());
            piece.add(json);
            pieceBytes += json.length();
            if (pieceBytes >= PIECE_BYTES || i == notifications.size() - 1) {
                ByteBuf[] frames = TextFrames.encode(piece).frames();
                for (int j = 0; j < frames.length; j++) {
                    entries.add(entry(notifications.get(pieceStart + j), frames[j]));
                }
                piece.clear();
                pieceBytes = 0;
                pieceStart = i + 1;
            }
        }
        return entries;
    }

    /** One entry of the replay history for each notification of a live batch, over the batch's frames. */
    static List<RecentNotifications.Entry> entries(List<ReceivedNotification> batch, TextFrames frames) {
        List<RecentNotifications.Entry> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            entries.add(entry(batch.get(i), frames.frames()[i]));
        }
        return entries;
    }

    /** A control frame on its own, for a replay. */
    ByteBuf control(ControlFrame frame) {
        return TextFrames.encode(json(frame));
    }

    /** A control frame that answers a client: queued and bounded like a notification, not counted as one. */
    TextFrames answer(ControlFrame frame) {
        return TextFrames.encodeAnswer(json(frame));
    }

    private static RecentNotifications.Entry entry(ReceivedNotification received, ByteBuf frame) {
        Notification notification = received.notification();
        return new RecentNotifications.Entry(received.partition(), received.offset(), notification.timestamp(),
                notification.target(), frame);
    }

    private String json(Object frame) {
        try {
            return mapper.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Frames always serialize", e);
        }
    }
}
