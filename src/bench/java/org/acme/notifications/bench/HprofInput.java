package org.acme.notifications.bench;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * An HPROF heap dump read front to back, shared by {@link HeapDumpHistogram} and {@link HeapReferrers}: the header,
 * the strings and class names, the GC roots (skipped); each class, instance and array dump goes to a
 * {@link HeapRecords} of the caller's. A JVM's dump and a native executable's (in segments, ending with HEAP DUMP
 * END) alike.
 */
final class HprofInput implements Closeable {

    /** Reads the heap dump's records, each after its tag; each returns the bytes it read. */
    interface HeapRecords {
        long classDump(HprofInput dump) throws IOException;

        long instanceDump(HprofInput dump) throws IOException;

        long objectArrayDump(HprofInput dump) throws IOException;

        long primitiveArrayDump(HprofInput dump) throws IOException;
    }

    static final int UTF8 = 0x01, LOAD_CLASS = 0x02, HEAP_DUMP = 0x0C, HEAP_DUMP_SEGMENT = 0x1C, HEAP_DUMP_END = 0x2C;
    static final int CLASS_DUMP = 0x20, INSTANCE_DUMP = 0x21, OBJECT_ARRAY_DUMP = 0x22, PRIMITIVE_ARRAY_DUMP = 0x23;
    static final int OBJECT = 2;

    final DataInputStream in;
    final int idSize;
    private final Map<Long, String> strings = new HashMap<>();
    private final Map<Long, Long> classNameIds = new HashMap<>(); // class object id -> name string id
    private final Map<Long, String> classNames = new HashMap<>(); // class object id -> name, once asked for

    /** Opens {@code hprof} and reads its header. */
    HprofInput(Path hprof) throws IOException {
        in = new DataInputStream(new BufferedInputStream(Files.newInputStream(hprof), 1 << 16));
        StringBuilder header = new StringBuilder();
        for (byte b; (b = in.readByte()) != 0; ) {
            header.append((char) b);
        }
        if (!header.toString().startsWith("JAVA PROFILE ")) {
            in.close();
            throw new IOException("Not an HPROF file: " + header);
        }
        idSize = in.readInt();
        in.readLong(); // timestamp
    }

    /** Reads the whole dump, handing each class, instance and array dump to {@code records}. */
    void read(HeapRecords records) throws IOException {
        while (true) {
            int tag = in.read();
            if (tag < 0) {
                return; // a dump without HEAP DUMP END (a JVM's non-segmented one) ends with the file
            }
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
                    classNameIds.put(classId, readId());
                }
                case HEAP_DUMP, HEAP_DUMP_SEGMENT -> readHeap(length, records);
                case HEAP_DUMP_END -> {
                    return;
                }
                default -> in.skipNBytes(length);
            }
        }
    }

    private void readHeap(long length, HeapRecords records) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            int tag = in.readUnsignedByte();
            long root = skipRoot(tag);
            remaining -= 1 + (root >= 0 ? root : switch (tag) {
                case CLASS_DUMP -> records.classDump(this);
                case INSTANCE_DUMP -> records.instanceDump(this);
                case OBJECT_ARRAY_DUMP -> records.objectArrayDump(this);
                case PRIMITIVE_ARRAY_DUMP -> records.primitiveArrayDump(this);
                default -> throw new IOException("Unknown heap dump record 0x" + Integer.toHexString(tag));
            });
        }
        if (remaining != 0) {
            throw new IOException("A heap dump segment's records overran its length by " + -remaining + " bytes");
        }
    }

    /** A string of the dump (a field's name), by its id. */
    String string(long id) {
        return strings.getOrDefault(id, "?" + id);
    }

    /** {@code java.lang.String}, {@code [Ljava.lang.Object;}... */
    String className(long classId) {
        return classNames.computeIfAbsent(classId, id -> strings.getOrDefault(classNameIds.get(id), "unknown class " + id).replace('/', '.'));
    }

    long readId() throws IOException {
        return idSize == 4 ? Integer.toUnsignedLong(in.readInt()) : in.readLong();
    }

    long skip(long bytes) throws IOException {
        in.skipNBytes(bytes);
        return bytes;
    }

    /** The bytes a value of {@code type} takes (an object reference: an id). */
    long valueSize(int type) throws IOException {
        return switch (type) {
            case OBJECT -> idSize;
            case 4, 8 -> 1;
            case 5, 9 -> 2;
            case 6, 10 -> 4;
            case 7, 11 -> 8;
            default -> throw new IOException("Unknown value type " + type);
        };
    }

    /** Skips the body of a GC-root record and returns its length, or -1 when {@code tag} is no root. */
    private long skipRoot(int tag) throws IOException {
        return switch (tag) {
            case 0xFF, 0x05, 0x07 -> skip(idSize); // unknown, sticky class, monitor used
            case 0x01 -> skip(2L * idSize); // JNI global
            case 0x02, 0x03, 0x08 -> skip(idSize + 8L); // JNI local, Java frame, thread object
            case 0x04, 0x06 -> skip(idSize + 4L); // native stack, thread block
            default -> -1;
        };
    }

    /** {@code [B}, {@code [I}... for a primitive array's element type. */
    static String primitiveArrayName(int type) throws IOException {
        return switch (type) {
            case 4 -> "[Z";
            case 5 -> "[C";
            case 6 -> "[F";
            case 7 -> "[D";
            case 8 -> "[B";
            case 9 -> "[S";
            case 10 -> "[I";
            case 11 -> "[J";
            default -> throw new IOException("Unknown primitive array type " + type);
        };
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
