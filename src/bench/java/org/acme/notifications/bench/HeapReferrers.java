package org.acme.notifications.bench;

import java.io.IOException;
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
final class HeapReferrers implements HprofInput.HeapRecords {

    private static final long PRIMITIVE_ARRAY = -1;

    private final Path file;
    private final Set<String> targets;
    private final Map<Long, ClassLayout> layouts = new HashMap<>();
    private final Map<Long, Long> objectClasses = new HashMap<>(); // id of an object of a target class -> its class object id
    private final Map<String, Map<String, Long>> referrers = new TreeMap<>(); // target -> holder field -> references
    private final Map<String, Long> instances = new TreeMap<>();
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
        try (HprofInput dump = new HprofInput(file)) {
            dump.read(this);
        }
    }

    @Override
    public long classDump(HprofInput dump) throws IOException {
        long classId = dump.readId();
        dump.in.readInt();
        long superId = dump.readId();
        dump.skip(5L * dump.idSize);
        dump.in.readInt();
        long read = 7L * dump.idSize + 8;
        int constants = dump.in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < constants; i++) {
            dump.in.readUnsignedShort();
            read += 3 + dump.skip(dump.valueSize(dump.in.readUnsignedByte()));
        }
        int statics = dump.in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < statics; i++) {
            String name = dump.string(dump.readId());
            int type = dump.in.readUnsignedByte();
            read += dump.idSize + 1 + dump.valueSize(type);
            if (type == HprofInput.OBJECT) {
                long target = dump.readId();
                if (secondPass && objectClasses.containsKey(target)) {
                    reference(dump, "static " + dump.className(classId) + "." + name, target);
                }
            } else {
                dump.skip(dump.valueSize(type));
            }
        }
        int fields = dump.in.readUnsignedShort();
        read += 2 + fields * (dump.idSize + 1L);
        List<String> fieldNames = new ArrayList<>(fields);
        byte[] types = new byte[fields];
        for (int i = 0; i < fields; i++) {
            fieldNames.add(dump.string(dump.readId()));
            types[i] = dump.in.readByte();
        }
        layouts.put(classId, new ClassLayout(superId, fieldNames, types));
        return read;
    }

    @Override
    public long instanceDump(HprofInput dump) throws IOException {
        long id = dump.readId();
        dump.in.readInt();
        long classId = dump.readId();
        int bytes = dump.in.readInt();
        if (!secondPass) {
            remember(id, classId, dump.className(classId));
            dump.skip(bytes);
        } else {
            long left = bytes;
            for (long layoutId = classId; layoutId != 0 && layouts.containsKey(layoutId); layoutId = layouts.get(layoutId).superId()) {
                ClassLayout layout = layouts.get(layoutId);
                for (int i = 0; i < layout.fieldTypes().length; i++) {
                    int type = layout.fieldTypes()[i];
                    left -= dump.valueSize(type);
                    if (type == HprofInput.OBJECT) {
                        long target = dump.readId();
                        if (objectClasses.containsKey(target)) {
                            reference(dump, dump.className(layoutId) + "." + layout.fieldNames().get(i), target);
                        }
                    } else {
                        dump.skip(dump.valueSize(type));
                    }
                }
            }
            dump.skip(left);
        }
        return 2L * dump.idSize + 8 + bytes;
    }

    @Override
    public long objectArrayDump(HprofInput dump) throws IOException {
        long id = dump.readId();
        dump.in.readInt();
        int elements = dump.in.readInt();
        long classId = dump.readId();
        if (!secondPass) {
            remember(id, classId, dump.className(classId));
            dump.skip((long) elements * dump.idSize);
        } else {
            for (int i = 0; i < elements; i++) {
                long target = dump.readId();
                if (objectClasses.containsKey(target)) {
                    reference(dump, dump.className(classId) + "[]", target);
                }
            }
        }
        return 2L * dump.idSize + 8 + (long) elements * dump.idSize;
    }

    @Override
    public long primitiveArrayDump(HprofInput dump) throws IOException {
        long id = dump.readId();
        dump.in.readInt();
        int elements = dump.in.readInt();
        int type = dump.in.readUnsignedByte();
        if (!secondPass) {
            remember(id, PRIMITIVE_ARRAY - type, HprofInput.primitiveArrayName(type));
        }
        long data = (long) elements * dump.valueSize(type);
        dump.skip(data);
        return dump.idSize + 9 + data;
    }

    /** A reference from {@code holder} to {@code target}, an object of a class asked about. */
    private void reference(HprofInput dump, String holder, long target) throws IOException {
        long classId = objectClasses.get(target);
        String name = classId < 0 ? HprofInput.primitiveArrayName((int) (PRIMITIVE_ARRAY - classId)) : dump.className(classId);
        referrers.computeIfAbsent(name, n -> new HashMap<>()).merge(holder, 1L, Long::sum);
    }

    /** Only objects of the classes asked about: every object of a big heap would not fit a small machine's memory. */
    private void remember(long id, long classId, String name) {
        if (targets.contains(name)) {
            objectClasses.put(id, classId);
            instances.merge(name, 1L, Long::sum);
        }
    }
}
