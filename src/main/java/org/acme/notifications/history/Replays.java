package org.acme.notifications.history;

import io.netty.buffer.ByteBuf;
import org.acme.notifications.Target;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.frames.FrameEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a resume is sent before it goes live, built from the kept history: {@code history-gap} when some of it is left
 * out, then every kept notification after the position that the one resuming may see (at most
 * {@code notifications.history.max-replay} bytes of them, the newest), then {@code resumed}. Not thread-safe: it reads
 * the history, with the lock that guards it held.
 */
public final class Replays {

    /** The frames of one resume and how many of them are notifications. */
    public record Replay(ByteBuf[] frames, int notifications) {

        /** Only {@code control}: nothing to replay. */
        public static Replay of(ByteBuf control) {
            return new Replay(new ByteBuf[] {control}, 0);
        }

        /** This replay, behind {@code control}. */
        public Replay behind(ByteBuf control) {
            ByteBuf[] all = new ByteBuf[frames.length + 1];
            all[0] = control;
            System.arraycopy(frames, 0, all, 1, frames.length);
            return new Replay(all, notifications);
        }
    }

    private final RecentNotifications recent;
    private final FrameEncoder encoder;
    private final long maxBytes;

    public Replays(RecentNotifications recent, FrameEncoder encoder, long maxBytes) {
        this.recent = recent;
        this.encoder = encoder;
        this.maxBytes = maxBytes;
    }

    /**
     * The replay of a resume from {@code from} ({@code since} as the client sent it), of what is {@code visible} to
     * it; only for a position this instance has reached. A malformed {@code since} ({@code from} null) gets
     * {@code unknown-id} alone.
     */
    public Replay from(ResumePosition from, String since, Predicate<Target> visible) {
        if (from == null) {
            return Replay.of(encoder.control(ControlFrame.unknownId(since, null)));
        }
        List<ByteBuf> frames = new ArrayList<>();
        RecentNotifications.After replay = recent.after(from, maxBytes, visible);
        if (!replay.complete()) {
            frames.add(encoder.control(ControlFrame.historyGap(since, replay.firstId())));
        }
        frames.addAll(replay.frames());
        frames.add(encoder.control(ControlFrame.resumed(since, replay.frames().size())));
        return new Replay(frames.toArray(ByteBuf[]::new), replay.frames().size());
    }
}
