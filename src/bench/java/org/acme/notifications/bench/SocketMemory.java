package org.acme.notifications.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a socket keeps: the difference of two class histograms taken after a full collection (a JVM's
 * {@code jcmd <pid> GC.class_histogram}, a native executable's {@link HeapDumpHistogram}) divided by the sockets opened in between, per class and per owner (the library the class
 * belongs to; JDK classes such as {@code byte[]} or {@code HashMap$Node} are counted apart, whoever allocated them;
 * an array by its element's class), and the growth of the JVM's committed memory by its native memory tracking.
 */
final class SocketMemory {

    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
    private static final Map<String, String> OWNERS = new LinkedHashMap<>();

    static {
        OWNERS.put("io.quarkus.websockets.next.", "websockets-next");
        OWNERS.put("io.netty.", "Netty");
        OWNERS.put("io.vertx.", "Vert.x");
        OWNERS.put("io.quarkus.", "Quarkus (other)");
        OWNERS.put("io.smallrye.", "SmallRye");
        OWNERS.put("org.acme.", "this service");
    }

    private SocketMemory() {
    }

    /** Instances and bytes per class. */
    record Row(long instances, long bytes) {
    }

    static Map<String, Row> parse(String histogram) {
        Map<String, Row> rows = new HashMap<>();
        for (String line : histogram.split("\n")) {
            Matcher row = ROW.matcher(line);
            if (row.find()) {
                // A class loaded twice (two class loaders) is listed twice: summed.
                rows.merge(row.group(3), new Row(Long.parseLong(row.group(1)), Long.parseLong(row.group(2))),
                        (a, b) -> new Row(a.instances() + b.instances(), a.bytes() + b.bytes()));
            }
        }
        return rows;
    }

    /** Prints bytes per socket by owner, then the {@code top} classes that grew most, per socket; writes it all to {@code file}. */
    static void printGrowth(Map<String, Row> before, Map<String, Row> after, int sockets, int top, Path file) throws IOException {
        Map<String, Row> growth = new HashMap<>();
        Set<String> classes = new HashSet<>(before.keySet());
        classes.addAll(after.keySet());
        for (String name : classes) {
            Row old = before.getOrDefault(name, new Row(0, 0));
            Row now = after.getOrDefault(name, new Row(0, 0));
            growth.put(name, new Row(now.instances() - old.instances(), now.bytes() - old.bytes()));
        }
        Map<String, Long> byOwner = new LinkedHashMap<>();
        growth.forEach((name, row) -> byOwner.merge(owner(name), row.bytes(), Long::sum));
        StringBuilder text = new StringBuilder();
        long total = growth.values().stream().mapToLong(Row::bytes).sum();
        text.append(String.format("heap growth per socket after a full GC: %.0f bytes (%d sockets)%n", total / (double) sockets, sockets));
        byOwner.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(owner ->
                text.append(String.format("  %-24s %8.0f bytes%n", owner.getKey(), owner.getValue() / (double) sockets)));
        text.append(String.format("%n  %-90s %10s %10s%n", "class", "objects", "bytes"));
        List<Map.Entry<String, Row>> largest = growth.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, Row> e) -> e.getValue().bytes()).reversed()).limit(top).toList();
        for (Map.Entry<String, Row> entry : largest) {
            text.append(String.format("  %-90s %10.2f %10.0f%n", entry.getKey(),
                    entry.getValue().instances() / (double) sockets, entry.getValue().bytes() / (double) sockets));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text);
        System.out.print(text);
    }

    private static final Pattern NMT_CATEGORY = Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)", Pattern.MULTILINE);

    /** Committed KB per category of {@code jcmd <pid> VM.native_memory summary}; empty without -XX:NativeMemoryTracking. */
    static Map<String, Long> parseNativeMemory(String summary) {
        Map<String, Long> committed = new LinkedHashMap<>();
        for (Matcher category = NMT_CATEGORY.matcher(summary); category.find(); ) {
            committed.put(category.group(1).strip(), Long.parseLong(category.group(2)));
        }
        return committed;
    }

    /** Prints the growth of each native-memory category per socket, largest first, and appends it to {@code file}. */
    static void printNativeGrowth(Map<String, Long> before, Map<String, Long> after, int sockets, Path file) throws IOException {
        StringBuilder text = new StringBuilder(String.format("%ncommitted memory growth per socket, by the JVM's native memory tracking:%n"));
        after.entrySet().stream()
                .map(category -> Map.entry(category.getKey(), category.getValue() - before.getOrDefault(category.getKey(), 0L)))
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(category -> text.append(String.format("  %-24s %8.0f bytes%n", category.getKey(), category.getValue() * 1024.0 / sockets)));
        Files.writeString(file, text, StandardOpenOption.APPEND);
        System.out.print(text);
    }

    /** The owner of a class; an array ({@code [B}, {@code [Lio.netty.X;}) by its element's class. */
    private static String owner(String className) {
        String element = className.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
        if (element.length() == 1) {
            return "JDK types"; // an array of a primitive type
        }
        return OWNERS.entrySet().stream().filter(owner -> element.startsWith(owner.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse(element.startsWith("java.") || element.startsWith("jdk.") || element.startsWith("sun.")
                        ? "JDK types" : "other libraries");
    }
}
