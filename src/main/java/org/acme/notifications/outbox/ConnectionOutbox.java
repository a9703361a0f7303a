package org.acme.notifications.outbox;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.Future;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.routing.Outbox;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The frames on their way to one subscriber's connection, whatever its {@link Transport} (a WebSocket, an event
 * stream): first its replay (if it resumed), then the live batches, in order. Touched on the connection's event loop
 * only, so it needs no locks.
 *
 * <p>One write is in the transport at a time, and the next leaves when the connection has taken it: a client that
 * stops reading holds back its own frames here, as references to buffers shared by every subscriber, instead of
 * copies in the channel. A replay is copied into a buffer {@value #CHUNK_BYTES} bytes at a time, as the connection
 * takes it.
 *
 * <p>Answers to what the client sent (subscribed, errors, ...) go the same way, in order with the notifications,
 * and count with them: a connection with more than {@code maxPendingFrames} frames waiting (queued here or not yet
 * taken) is closed with {@link CloseCode#TOO_SLOW}, and so, at once, is one with more than
 * {@value #MAX_UNREAD_ANSWERS} answers waiting: it sends and does not read. Its replay has its own bound, set by
 * the history.
 */
public final class ConnectionOutbox implements Outbox {

    /** How long a client closed for not reading has to read up to its close frame. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(10);
    /** Answers written to one connection and not yet taken; past it, the client is not reading. */
    static final int MAX_UNREAD_ANSWERS = 100;
    private static final int CHUNK_BYTES = 32 * 1024;
    private static final Logger LOG = Logger.getLogger(ConnectionOutbox.class);
    private static final ByteBuf[] NO_FRAMES = {};

    private final Transport transport;
    private final int maxPendingFrames;
    private final NotificationMetrics metrics;

    private ByteBuf[] replay = NO_FRAMES;
    private int replayed;
    private int replayedNotifications; // counted as delivered once the whole replay is written
    // Notifications and answers, in order. Room for one to start with (a batch is usually written as it comes), not
    // ArrayDeque's 16: every socket has one. It grows for a client that falls behind.
    private final ArrayDeque<TextFrames> live = new ArrayDeque<>(1);
    private int liveWaiting; // live frames (answers too) queued here or in the channel
    private int answersWaiting; // of which answers
    private boolean writing; // a write is in the channel; its completion writes the next
    private boolean draining;
    private boolean closing;

    public ConnectionOutbox(Transport transport, int maxPendingFrames, NotificationMetrics metrics) {
        this.transport = transport;
        this.maxPendingFrames = maxPendingFrames;
        this.metrics = metrics;
    }

    /**
     * Frames to write before any live batch: a replay of {@code notifications} notifications and its control
     * frames. Called once, when the subscriber goes live. The answers queued before it (one that waited for its
     * {@code since} is answered meanwhile) stay ahead of it.
     */
    @Override
    public void replay(ByteBuf[] frames, int notifications) {
        if (closed()) {
            return;
        }
        if (live.isEmpty()) {
            replay = frames;
        } else {
            // Only answers can be queued before a subscriber is live: they go first, then the replay.
            List<ByteBuf> ordered = new ArrayList<>();
            for (TextFrames answers; (answers = live.poll()) != null; ) {
                ordered.addAll(Arrays.asList(answers.frames()));
                liveWaiting -= answers.count();
                answersWaiting -= answers.count();
            }
            ordered.addAll(Arrays.asList(frames));
            replay = ordered.toArray(ByteBuf[]::new);
        }
        replayedNotifications = notifications;
        drain();
    }

    /**
     * An answer to what the client sent, behind everything queued before it; a client that lets too many wait (it
     * sends and does not read) is closed at once instead, with no grace: every frame it goes on sending costs work.
     */
    @Override
    public void answer(TextFrames answer) {
        if (closed()) {
            return;
        }
        if (answersWaiting + answer.count() > MAX_UNREAD_ANSWERS) {
            closeTooSlow(0, "sends frames but reads no answers", Duration.ZERO);
            return;
        }
        answersWaiting += answer.count();
        offer(answer);
    }

    /** A live batch for this connection; one that let too many wait is closed instead. */
    @Override
    public void offer(TextFrames batch) {
        if (closed()) {
            metrics.droppedClosed(batch.notificationCount());
            return;
        }
        // One batch is always taken when nothing waits: a poll may bring more than the limit at once.
        if (liveWaiting > 0 && liveWaiting + batch.count() > maxPendingFrames) {
            closeTooSlow(batch.notificationCount(), "reconnect with ?since=<last id>", CLOSE_GRACE);
            return;
        }
        // A batch that must wait behind others is detached from its poll's buffer if it is a small part of it.
        boolean waits = writing || !live.isEmpty() || replayed < replay.length;
        live.add(waits ? batch.detached() : batch);
        liveWaiting += batch.count();
        drain();
    }

    private void drain() {
        if (draining) {
            return; // a write completed during flush(): the loop below goes on
        }
        draining = true;
        try {
            while (!writing && (replayed < replay.length || !live.isEmpty()) && !closed()) {
                writeNext();
            }
        } finally {
            draining = false;
        }
    }

    private void writeNext() {
        writing = true;
        if (replayed < replay.length) {
            Future<?> written = transport.write(nextReplayChunk());
            boolean last = replayed == 0; // nextReplayChunk() resets the replay once it is all taken
            written.addListener(done -> {
                if (last && done.isSuccess()) {
                    metrics.delivered(replayedNotifications);
                }
                wrote(done.isSuccess());
            });
        } else {
            TextFrames batch = live.poll();
            Future<?> written = transport.write(batch.all().duplicate());
            metrics.delivered(batch.notificationCount());
            written.addListener(done -> {
                liveWaiting -= batch.count();
                if (!batch.notifications()) {
                    answersWaiting -= batch.count();
                }
                wrote(done.isSuccess());
            });
        }
    }

    private void wrote(boolean success) {
        writing = false;
        if (success) {
            drain();
        }
    }

    /** The next replayed frames, copied into one buffer of at most CHUNK_BYTES (or one larger frame). */
    private ByteBuf nextReplayChunk() {
        int end = replayed;
        int bytes = 0;
        do {
            bytes += replay[end++].readableBytes();
        } while (end < replay.length && bytes + replay[end].readableBytes() <= CHUNK_BYTES);
        ByteBuf chunk = transport.alloc().directBuffer(bytes);
        for (int i = replayed; i < end; i++) {
            chunk.writeBytes(replay[i], replay[i].readerIndex(), replay[i].readableBytes());
            replay[i] = null; // what is written is not kept
        }
        replayed = end;
        if (replayed == replay.length) {
            replay = NO_FRAMES;
            replayed = 0;
        }
        return chunk;
    }

    @Override
    public String id() {
        return transport.id();
    }

    /** Closes the connection with {@code why}: nothing is written after it. */
    @Override
    public void close(CloseCode why) {
        if (closed()) {
            return;
        }
        closing = true;
        metrics.droppedClosed(live.stream().mapToInt(TextFrames::notificationCount).sum());
        live.clear();
        transport.close(why, why.reason());
    }

    /** Closed or closing, whoever closed it (what says why is out: nothing may follow it). */
    private boolean closed() {
        return closing || transport.isClosed();
    }

    /**
     * Closes a connection whose client does not read, with {@link CloseCode#TOO_SLOW}, dropping what waits for it.
     * What says why waits behind what the client has not read, so the client has {@code grace} to read up to it; then
     * the connection is dropped, and with it the place it holds.
     */
    private void closeTooSlow(int dropped, String reason, Duration grace) {
        closing = true;
        metrics.droppedSlow(dropped + live.stream().mapToInt(TextFrames::notificationCount).sum());
        live.clear();
        LOG.debugf("Closing %s: too slow, %s", transport.id(), reason);
        if (transport.isClosed()) {
            return; // closed for another reason already
        }
        metrics.slowDisconnect();
        transport.close(CloseCode.TOO_SLOW, "too slow: " + reason);
        if (grace.isZero()) {
            // Now, not as a task: a client flooding frames keeps the event loop busy with them.
            transport.drop();
            return;
        }
        transport.loop().schedule(() -> {
            LOG.debugf("Dropping %s if it did not read up to its close", transport.id());
            transport.drop();
        }, grace.toMillis(), TimeUnit.MILLISECONDS);
    }
}
