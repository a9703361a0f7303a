package org.acme.notifications.bench;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
final class HeapDumpHistogram {

    private static final int UTF8 = 0x01, LOAD_CLASS = 0x02, HEAP_DUMP_SEGMENT = 0x1C, HEAP_DUMP_END = 0x2C;
    private static final String[] PRIMITIVE_ARRAYS = {null, null, null, null, "[Z", "[C", "[F", "[D", "[B", "[S", "[I", "[J"};

    private final DataInputStream in;
    private final Map<Long, String> strings = new HashMap<>();
    private final Map<Long, Long> classNames = new HashMap<>(); // class object id -> name string id
    private final Map<Long, Integer> instanceSizes = new HashMap<>(); // class object id -> an instance's size in the heap
    private final Map<Long, Long> instances = new HashMap<>(); // class object id -> instances
    private final Map<Long, long[]> objectArrays = new HashMap<>(); // array class object id -> {arrays, bytes}
    private final Map<String, long[]> primitiveArrays = new HashMap<>(); // [B... -> {arrays, bytes}
    private int idSize;

    private HeapDumpHistogram(DataInputStream in) {
        this.in = in;
    }

    /** Instances and bytes per class name ({@code java.lang.String}, {@code [B}, {@code [Ljava.lang.Object;}). */
    static Map<String, SocketMemory.Row> read(Path hprof) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(hprof), 1 << 16))) {
            return new HeapDumpHistogram(in).read();
        }
    }

    private Map<String, SocketMemory.Row> read() throws IOException {
        StringBuilder header = new StringBuilder();
        for (byte b; (b = in.readByte()) != 0; ) {
            header.append((char) b);
        }
        if (!header.toString().startsWith("JAVA PROFILE ")) {
            throw new IOException("Not an HPROF file: " + header);
        }
        idSize = in.readInt();
        in.readLong(); // timestamp
        while (true) {
            int tag = in.readUnsignedByte();
            in.readInt(); // microseconds since the header's timestamp
            long length = Integer.toUnsignedLong(in.readInt());
            switch (tag) {
                case UTF8 -> {
                    long id = readId();
                    byte[] text = new byte[(int) (length - idSize)];
                    in.readFully(text);
                    strings.put(id, new String(text, StandardCharsets.UTF_8));
                }
                case LOAD_CLASS -> {
                    in.readInt();
                    long classId = readId();
                    in.readInt();
                    classNames.put(classId, readId());
                }
                case HEAP_DUMP_SEGMENT -> readHeap(length);
                case HEAP_DUMP_END -> {
                    return histogram();
                }
                default -> in.skipNBytes(length);
            }
        }
    }

    private void readHeap(long length) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            int tag = in.readUnsignedByte();
            remaining -= 1 + switch (tag) {
                case 0xFF, 0x05, 0x07 -> skip(idSize); // roots: unknown, sticky class, monitor used
                case 0x01 -> skip(2L * idSize); // JNI global
                case 0x02, 0x03, 0x08 -> skip(idSize + 8L); // JNI local, Java frame, thread object
                case 0x04, 0x06 -> skip(idSize + 4L); // native stack, thread block
                case 0x20 -> classDump();
                case 0x21 -> instanceDump();
                case 0x22 -> objectArrayDump();
                case 0x23 -> primitiveArrayDump();
                default -> throw new IOException("Unknown heap dump record 0x" + Integer.toHexString(tag));
            };
        }
        if (remaining != 0) {
            throw new IOException("A heap dump segment's records overran its length by " + -remaining + " bytes");
        }
    }

    private long classDump() throws IOException {
        long classId = readId();
        in.readInt();
        skip(6L * idSize); // super, loader, signers, protection domain, two reserved
        instanceSizes.put(classId, in.readInt());
        long read = 7L * idSize + 8;
        int constants = in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < constants; i++) {
            in.readUnsignedShort();
            read += 3 + skip(valueSize(in.readUnsignedByte()));
        }
        int statics = in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < statics; i++) {
            readId();
            read += idSize + 1 + skip(valueSize(in.readUnsignedByte()));
        }
        int fields = in.readUnsignedShort();
        read += 2 + skip(fields * (idSize + 1L));
        return read;
    }

    private long instanceDump() throws IOException {
        readId();
        in.readInt();
        long classId = readId();
        int bytes = in.readInt();
        skip(bytes);
        instances.merge(classId, 1L, Long::sum); // sized by its class dump, which may come later
        return 2L * idSize + 8 + bytes;
    }

    private long objectArrayDump() throws IOException {
        readId();
        in.readInt();
        int elements = in.readInt();
        long classId = readId();
        skip((long) elements * idSize);
        count(objectArrays.computeIfAbsent(classId, id -> new long[2]), align(16 + 4L * elements));
        return 2L * idSize + 8 + (long) elements * idSize;
    }

    private long primitiveArrayDump() throws IOException {
        readId();
        in.readInt();
        int elements = in.readInt();
        int type = in.readUnsignedByte();
        if (type < 4 || type >= PRIMITIVE_ARRAYS.length) {
            throw new IOException("Unknown primitive array type " + type);
        }
        long data = (long) elements * valueSize(type);
        skip(data);
        count(primitiveArrays.computeIfAbsent(PRIMITIVE_ARRAYS[type], name -> new long[2]), align(16 + data));
        return idSize + 9 + data;
    }

    private static void count(long[] row, long bytes) {
        row[0]++;
        row[1] += bytes;
    }

    private Map<String, SocketMemory.Row> histogram() {
        Map<String, SocketMemory.Row> rows = new HashMap<>();
        instances.forEach((classId, count) ->
                add(rows, className(classId), count, count * align(instanceSizes.getOrDefault(classId, 0))));
        objectArrays.forEach((classId, row) -> add(rows, className(classId), row[0], row[1]));
        primitiveArrays.forEach((name, row) -> add(rows, name, row[0], row[1]));
        return rows;
    }

    private String className(long classId) {
        return strings.getOrDefault(classNames.get(classId), "unknown class " + classId).replace('/', '.');
    }

    private static void add(Map<String, SocketMemory.Row> rows, String name, long instances, long bytes) {
        rows.merge(name, new SocketMemory.Row(instances, bytes),
                (a, b) -> new SocketMemory.Row(a.instances() + b.instances(), a.bytes() + b.bytes()));
    }

    private long valueSize(int type) throws IOException {
        return switch (type) {
            case 2 -> idSize;
            case 4, 8 -> 1;
            case 5, 9 -> 2;
            case 6, 10 -> 4;
            case 7, 11 -> 8;
            default -> throw new IOException("Unknown value type " + type);
        };
    }

    private long readId() throws IOException {
        return idSize == 4 ? Integer.toUnsignedLong(in.readInt()) : in.readLong();
    }

    private long skip(long bytes) throws IOException {
        in.skipNBytes(bytes);
        return bytes;
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
            return tag == HEAP_DUMP_END && file.readLong() == 0;
        }
    }
}
