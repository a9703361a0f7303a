package org.acme.notifications.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A class histogram read from an HPROF heap dump, in the shape of {@code jcmd GC.class_histogram}'s, for a native
 * executable: it has no jcmd here, but dumps its heap, after a full collection, on SIGUSR1 (in segments, ending with
 * HEAP DUMP END). An instance's bytes are the size in the heap its class dump gives; an array's are estimated: 16
 * bytes of header and its elements (references 4 bytes), rounded up to 8. The image's own hybrid objects are dumped
 * without their array part, so the total is a little below the heap's use.
 */
final class HeapDumpHistogram implements HprofInput.HeapRecords {

    private final Map<Long, Integer> instanceSizes = new HashMap<>(); // class object id -> an instance's size in the heap
    private final Map<Long, Long> instances = new HashMap<>(); // class object id -> instances
    private final Map<Long, long[]> objectArrays = new HashMap<>(); // array class object id -> {arrays, bytes}
    private final Map<String, long[]> primitiveArrays = new HashMap<>(); // [B... -> {arrays, bytes}

    private HeapDumpHistogram() {
    }

    /** Instances and bytes per class name ({@code java.lang.String}, {@code [B}, {@code [Ljava.lang.Object;}). */
    static Map<String, SocketMemory.Row> read(Path hprof) throws IOException {
        try (HprofInput dump = new HprofInput(hprof)) {
            HeapDumpHistogram histogram = new HeapDumpHistogram();
            dump.read(histogram);
            return histogram.rows(dump);
        }
    }

    @Override
    public long classDump(HprofInput dump) throws IOException {
        int idSize = dump.idSize;
        long classId = dump.readId();
        dump.in.readInt();
        dump.skip(6L * idSize); // super, loader, signers, protection domain, two reserved
        instanceSizes.put(classId, dump.in.readInt());
        long read = 7L * idSize + 8;
        int constants = dump.in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < constants; i++) {
            dump.in.readUnsignedShort();
            read += 3 + dump.skip(dump.valueSize(dump.in.readUnsignedByte()));
        }
        int statics = dump.in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < statics; i++) {
            dump.readId();
            read += idSize + 1 + dump.skip(dump.valueSize(dump.in.readUnsignedByte()));
        }
        int fields = dump.in.readUnsignedShort();
        return read + 2 + dump.skip(fields * (idSize + 1L));
    }

    @Override
    public long instanceDump(HprofInput dump) throws IOException {
        dump.readId();
        dump.in.readInt();
        long classId = dump.readId();
        int bytes = dump.in.readInt();
        dump.skip(bytes);
        instances.merge(classId, 1L, Long::sum); // sized by its class dump, which may come later
        return 2L * dump.idSize + 8 + bytes;
    }

    @Override
    public long objectArrayDump(HprofInput dump) throws IOException {
        dump.readId();
        dump.in.readInt();
        int elements = dump.in.readInt();
        long classId = dump.readId();
        dump.skip((long) elements * dump.idSize);
        count(objectArrays.computeIfAbsent(classId, id -> new long[2]), align(16 + 4L * elements));
        return 2L * dump.idSize + 8 + (long) elements * dump.idSize;
    }

    @Override
    public long primitiveArrayDump(HprofInput dump) throws IOException {
        dump.readId();
        dump.in.readInt();
        int elements = dump.in.readInt();
        int type = dump.in.readUnsignedByte();
        String name = HprofInput.primitiveArrayName(type);
        long data = dump.skip((long) elements * dump.valueSize(type));
        count(primitiveArrays.computeIfAbsent(name, n -> new long[2]), align(16 + data));
        return dump.idSize + 9 + data;
    }

    private static void count(long[] row, long bytes) {
        row[0]++;
        row[1] += bytes;
    }

    private Map<String, SocketMemory.Row> rows(HprofInput dump) {
        Map<String, SocketMemory.Row> rows = new HashMap<>();
        instances.forEach((classId, count) ->
                add(rows, dump.className(classId), count, count * align(instanceSizes.getOrDefault(classId, 0))));
        objectArrays.forEach((classId, row) -> add(rows, dump.className(classId), row[0], row[1]));
        primitiveArrays.forEach((name, row) -> add(rows, name, row[0], row[1]));
        return rows;
    }

    private static void add(Map<String, SocketMemory.Row> rows, String name, long instances, long bytes) {
        rows.merge(name, new SocketMemory.Row(instances, bytes),
                (a, b) -> new SocketMemory.Row(a.instances() + b.instances(), a.bytes() + b.bytes()));
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /** Whether the dump is written to its end: its last record is HEAP DUMP END (its tag, then a time and a length of 0). */
    static boolean complete(Path hprof) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(hprof.toFile(), "r")) {
            if (file.length() < 9) {
                return false;
            }
            file.seek(file.length() - 9);
            int tag = file.readUnsignedByte();
            return tag == HprofInput.HEAP_DUMP_END && file.readLong() == 0;
        }
    }
}
