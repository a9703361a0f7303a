package org.acme.notifications.bench;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Who holds a class's instances, read from an HPROF heap dump: every reference to them, counted by the class and
 * field it is held in ({@code io.vertx.core.http.impl.ServerWebSocketImpl.request}, {@code [Ljava.lang.Object;[]}
 * for an array's element, {@code static X.f} for a static field). Asked one class after the other up the chain, it
 * traces how a socket keeps an object alive, e.g. the upgrade request:
 * <pre>java -cp ... org.acme.notifications.bench.HeapReferrers dump.hprof 10000 io.vertx.core.http.impl.Http1xServerRequest ...</pre>
 * (the second argument divides the counts: the sockets open when the dump was taken). Two passes over the file:
 * the objects of the classes asked about first, then the references to them.
 */
final class HeapReferrers {

    private static final int UTF8 = 0x01, LOAD_CLASS = 0x02, HEAP_DUMP = 0x0C, HEAP_DUMP_SEGMENT = 0x1C, HEAP_DUMP_END = 0x2C;
    private static final long PRIMITIVE_ARRAY = -1;

    private final Path file;
    private final Set<String> targets;
    private final Map<Long, String> strings = new HashMap<>();
    private final Map<Long, Long> classNames = new HashMap<>(); // class object id -> name string id
    private final Map<Long, ClassLayout> layouts = new HashMap<>();
    private final Map<Long, Long> objectClasses = new HashMap<>(); // id of an object of a target class -> its class object id
    private final Map<Long, String> names = new HashMap<>(); // class object id -> class name, once looked up
    private final Map<String, Map<String, Long>> referrers = new TreeMap<>(); // target -> holder field -> references
    private final Map<String, Long> instances = new TreeMap<>();
    private DataInputStream in;
    private int idSize;
    private boolean secondPass;

    /** A class's own instance fields, in the order an instance dump lists them (its own, then its super's). */
    private record ClassLayout(long superId, List<String> fieldNames, byte[] fieldTypes) {
    }

    private HeapReferrers(Path file, Set<String> targets) {
        this.file = file;
        this.targets = targets;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: HeapReferrers <dump.hprof> <divide-by> <class name>...");
            System.exit(2);
        }
        double divisor = Double.parseDouble(args[1]);
        HeapReferrers heap = new HeapReferrers(Path.of(args[0]), Set.copyOf(List.of(args).subList(2, args.length)));
        heap.pass(false);
        heap.pass(true);
        for (String target : List.of(args).subList(2, args.length)) {
            System.out.printf("%s: %.2f instances per unit, held by%n", target, heap.instances.getOrDefault(target, 0L) / divisor);
            heap.referrers.getOrDefault(target, Map.of()).entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(holder -> System.out.printf("  %10.2f  %s%n", holder.getValue() / divisor, holder.getKey()));
        }
    }

    private void pass(boolean references) throws IOException {
        secondPass = references;
        try (DataInputStream input = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            in = input;
            for (byte b; (b = in.readByte()) != 0; ) {
                // the header: "JAVA PROFILE 1.0.2"
            }
            idSize = in.readInt();
            in.readLong();
            while (true) {
                int tag = in.read();
                if (tag < 0) {
                    return; // a dump without HEAP DUMP END (a JVM's non-segmented one) ends with the file
                }
                in.readInt();
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
                    case HEAP_DUMP, HEAP_DUMP_SEGMENT -> readHeap(length);
                    case HEAP_DUMP_END -> {
                        return;
                    }
                    default -> in.skipNBytes(length);
                }
            }
        }
    }

    private void readHeap(long length) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            int tag = in.readUnsignedByte();
            remaining -= 1 + switch (tag) {
                case 0xFF, 0x05, 0x07 -> skip(idSize);
                case 0x01 -> skip(2L * idSize);
                case 0x02, 0x03, 0x08 -> skip(idSize + 8L);
                case 0x04, 0x06 -> skip(idSize + 4L);
                case 0x20 -> classDump();
                case 0x21 -> instanceDump();
                case 0x22 -> objectArrayDump();
                case 0x23 -> primitiveArrayDump();
                default -> throw new IOException("Unknown heap dump record 0x" + Integer.toHexString(tag));
            };
        }
    }

    private long classDump() throws IOException {
        long classId = readId();
        in.readInt();
        long superId = readId();
        skip(5L * idSize);
        in.readInt();
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
            String name = string(readId());
            int type = in.readUnsignedByte();
            read += idSize + 1 + valueSize(type);
            if (type == 2) {
                long target = readId();
                if (secondPass && objectClasses.containsKey(target)) {
                    reference("static " + className(classId) + "." + name, target);
                }
            } else {
                skip(valueSize(type));
            }
        }
        int fields = in.readUnsignedShort();
        read += 2 + fields * (idSize + 1L);
        List<String> fieldNames = new ArrayList<>(fields);
        byte[] types = new byte[fields];
        for (int i = 0; i < fields; i++) {
            fieldNames.add(string(readId()));
            types[i] = in.readByte();
        }
        layouts.put(classId, new ClassLayout(superId, fieldNames, types));
        return read;
    }

    private long instanceDump() throws IOException {
        long id = readId();
        in.readInt();
        long classId = readId();
        int bytes = in.readInt();
        if (!secondPass) {
            remember(id, classId, className(classId));
            skip(bytes);
        } else {
            long left = bytes;
            for (long layoutId = classId; layoutId != 0 && layouts.containsKey(layoutId); layoutId = layouts.get(layoutId).superId()) {
                ClassLayout layout = layouts.get(layoutId);
                for (int i = 0; i < layout.fieldTypes().length; i++) {
                    int type = layout.fieldTypes()[i];
                    left -= valueSize(type);
                    if (type == 2) {
                        long target = readId();
                        if (objectClasses.containsKey(target)) {
                            reference(className(layoutId) + "." + layout.fieldNames().get(i), target);
                        }
                    } else {
                        skip(valueSize(type));
                    }
                }
            }
            skip(left);
        }
        return 2L * idSize + 8 + bytes;
    }

    private long objectArrayDump() throws IOException {
        long id = readId();
        in.readInt();
        int elements = in.readInt();
        long classId = readId();
        if (!secondPass) {
            remember(id, classId, className(classId));
            skip((long) elements * idSize);
        } else {
            for (int i = 0; i < elements; i++) {
                long target = readId();
                if (objectClasses.containsKey(target)) {
                    reference(className(classId) + "[]", target);
                }
            }
        }
        return 2L * idSize + 8 + (long) elements * idSize;
    }

    private long primitiveArrayDump() throws IOException {
        long id = readId();
        in.readInt();
        int elements = in.readInt();
        int type = in.readUnsignedByte();
        if (!secondPass) {
            remember(id, PRIMITIVE_ARRAY - type, primitiveArrayName(type));
        }
        long data = (long) elements * valueSize(type);
        skip(data);
        return idSize + 9 + data;
    }

    /** A reference from {@code holder} to {@code target}, an object of a class asked about. */
    private void reference(String holder, long target) {
        long classId = objectClasses.get(target);
        String name = classId < 0 ? primitiveArrayName((int) (PRIMITIVE_ARRAY - classId)) : className(classId);
        referrers.computeIfAbsent(name, n -> new HashMap<>()).merge(holder, 1L, Long::sum);
    }

    /** Only objects of the classes asked about: every object of a big heap would not fit a small machine's memory. */
    private void remember(long id, long classId, String name) {
        if (targets.contains(name)) {
            objectClasses.put(id, classId);
            instances.merge(name, 1L, Long::sum);
        }
    }

    private static String primitiveArrayName(int type) {
        return switch (type) {
            case 4 -> "[Z";
            case 5 -> "[C";
            case 6 -> "[F";
            case 7 -> "[D";
            case 8 -> "[B";
            case 9 -> "[S";
            case 10 -> "[I";
            default -> "[J";
        };
    }

    private String className(long classId) {
        return names.computeIfAbsent(classId, id -> string(classNames.getOrDefault(id, 0L)).replace('/', '.'));
    }

    private String string(long id) {
        return strings.getOrDefault(id, "?" + id);
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
}
