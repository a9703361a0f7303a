package org.acme.notifications.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.WebSocket;
import io.vertx.core.parsetools.RecordParser;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.BitSet;

/**
 * One subscriber of the load tool, over a WebSocket or an event stream. It reads the sequence number and send time that the tool
 * put into each message, and counts what arrived, twice, or out of the topic's order. Only its own Vert.x event
 * loop touches it while the run lasts.
 */
final class BenchClient {

    private static final byte[] ID = "\"id\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TIMESTAMP = "\"timestamp\":\"".getBytes(StandardCharsets.UTF_8);

    private final byte[] marker;
    private final long warmup;
    private final BitSet seen = new BitSet();
    private final Latencies latencies;
    private final Latencies sinceRecord; // null unless the tool measures stages
    /** The service's frames carry the topic position to check order by; a peer's (nchan's) carry no id. */
    private final boolean ordered;
    private volatile long warmupReceived;
    private volatile long received;
    private long duplicates;
    private long outOfOrder;
    /** The last Kafka offset seen per partition: the stream's order is the topic's, not the send order. */
    private long[] lastOffsets = new long[0];
    private volatile long lastDeliveryNanos;
    private volatile long firstDeliveryEpochMillis;
    private volatile int closeCode = -1;

    /**
     * @param runId marks this run's messages; frames of other runs and control frames are ignored
     * @param warmup the first sequence numbers are warm-up: counted apart, never measured
     */
    BenchClient(String runId, long warmup, Latencies latencies, Latencies sinceRecord, boolean ordered) {
        this.marker = ("\"message\":\"bench " + runId + " #").getBytes(StandardCharsets.UTF_8);
        this.warmup = warmup;
        this.latencies = latencies;
        this.sinceRecord = sinceRecord;
        this.ordered = ordered;
    }

    static String message(String runId, long seq, long sentNanos) {
        return "bench " + runId + " #" + seq + " @" + sentNanos;
    }

    void attach(WebSocket socket) {
        socket.handler(this::onFrame);
        socket.closeHandler(ignored -> closeCode = socket.closeStatusCode() == null ? 1006 : socket.closeStatusCode());
    }

    /** An event stream: each event (up to its blank line) is read as a socket's frame, its {@code data:} JSON inside it. */
    void attach(HttpClientResponse stream) {
        stream.handler(RecordParser.newDelimited("\n\n", this::onFrame));
        stream.endHandler(ignored -> closeCode = 1000);
        stream.exceptionHandler(ignored -> closeCode = 1006);
    }

    private void onFrame(Buffer frame) {
        long now = System.nanoTime();
        int at = indexOf(frame, marker);
        if (at < 0) {
            return; // a control frame, or a notification that is not from this run
        }
        int i = at + marker.length;
        long seq = 0;
        for (byte b; (b = frame.getByte(i)) != ' '; i++) {
            seq = seq * 10 + (b - '0');
        }
        i += 2; // " @"
        long sentNanos = 0;
        for (byte b; i < frame.length() && (b = frame.getByte(i)) >= '0' && b <= '9'; i++) {
            sentNanos = sentNanos * 10 + (b - '0');
        }
        if (seen.get((int) seq)) {
            duplicates++;
            return;
        }
        seen.set((int) seq);
        if (ordered && !inOrder(frame)) {
            outOfOrder++;
        }
        if (seq < warmup) {
            warmupReceived++;
            return;
        }
        latencies.record(now - sentNanos);
        if (sinceRecord != null) {
            recordSinceTimestamp(frame);
        }
        if (firstDeliveryEpochMillis == 0) {
            firstDeliveryEpochMillis = System.currentTimeMillis();
        }
        lastDeliveryNanos = now;
        received++; // last: once the tool sees every delivery counted, this client records nothing more
    }

    /** Reads {@code "id":"<partition>-<offset>"} and checks the offset grew; a frame without an id is out of order. */
    private boolean inOrder(Buffer frame) {
        int id = indexOf(frame, ID);
        if (id < 0) {
            return false;
        }
        int i = id + ID.length;
        int partition = 0;
        for (byte b; (b = frame.getByte(i)) != '-'; i++) {
            partition = partition * 10 + (b - '0');
        }
        long offset = 0;
        for (byte b; (b = frame.getByte(++i)) != '"'; ) {
            offset = offset * 10 + (b - '0');
        }
        if (partition >= lastOffsets.length) {
            int from = lastOffsets.length;
            lastOffsets = Arrays.copyOf(lastOffsets, partition + 1);
            Arrays.fill(lastOffsets, from, lastOffsets.length, -1);
        }
        boolean inOrder = offset > lastOffsets[partition];
        lastOffsets[partition] = offset;
        return inOrder;
    }

    /** From the frame's {@code timestamp} (the Kafka record's, whole milliseconds) to now, on the wall clock. */
    private void recordSinceTimestamp(Buffer frame) {
        Instant now = Instant.now();
        int at = indexOf(frame, TIMESTAMP);
        if (at < 0) {
            return;
        }
        int from = at + TIMESTAMP.length;
        int to = from;
        while (to < frame.length() && frame.getByte(to) != '"') {
            to++;
        }
        try {
            Instant timestamp = Instant.parse(frame.getString(from, to, "US-ASCII"));
            sinceRecord.record(Duration.between(timestamp, now).toNanos());
        } catch (DateTimeParseException notATimestamp) {
            // not measured; the delivery itself is counted
        }
    }

    private static int indexOf(Buffer frame, byte[] marker) {
        outer:
        for (int i = 0, last = frame.length() - marker.length; i <= last; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (frame.getByte(i + j) != marker[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    long warmupReceived() {
        return warmupReceived;
    }

    long received() {
        return received;
    }

    long duplicates() {
        return duplicates;
    }

    long outOfOrder() {
        return outOfOrder;
    }

    long lastDeliveryNanos() {
        return lastDeliveryNanos;
    }

    long firstDeliveryEpochMillis() {
        return firstDeliveryEpochMillis;
    }

    /** -1 while open. */
    int closeCode() {
        return closeCode;
    }
}
