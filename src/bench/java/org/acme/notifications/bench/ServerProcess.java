package org.acme.notifications.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The server under load, read from outside as an operator would: /proc for CPU, memory, open files and threads; jcmd
 * for a JVM; for a native executable, the heap dump it writes on SIGUSR1. One process (the service), or several
 * (nginx's master and workers, summed).
 */
final class ServerProcess {

    private final List<String> pids;

    /** {@code PID[,PID...]}. */
    ServerProcess(String pids) {
        this.pids = List.of(pids.split(","));
    }

    /** CPU time used so far (user + system) from /proc/PID/stat, summed over the processes. */
    long cpuMillis() throws IOException {
        long ticks = 0;
        for (String pid : pids) {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14 and 15)
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /**
     * Resident memory: VmRSS of one process; of several (nginx's master and workers) the sum of their Pss, which counts
     * the pages they share (nchan's shared memory, the binary) once.
     */
    long rssKb() throws IOException {
        long kb = 0;
        for (String pid : pids) {
            kb += pids.size() == 1 ? statusField(pid, "VmRSS:") : smapsField(pid, "Pss:");
        }
        return kb;
    }

    /** Open file descriptors (sockets included), summed over the processes. */
    long openFiles() throws IOException {
        long count = 0;
        for (String pid : pids) {
            try (Stream<Path> fds = Files.list(Path.of("/proc", pid, "fd"))) {
                count += fds.count();
            }
        }
        return count;
    }

    long threads() throws IOException {
        long count = 0;
        for (String pid : pids) {
            count += statusField(pid, "Threads:");
        }
        return count;
    }

    /**
     * The jcmd of the server's JVM (next to its {@code java}), or null when the server is not a JVM: the native
     * executables this project builds cannot be attached to (../shared/native-toolchain has no attach library).
     */
    Path jcmd() throws IOException {
        Path executable = Files.readSymbolicLink(Path.of("/proc", onlyPid(), "exe"));
        return executable.getFileName().toString().equals("java") ? executable.resolveSibling("jcmd") : null;
    }

    String jcmd(Path jcmd, String... command) throws IOException, InterruptedException {
        List<String> arguments = new ArrayList<>(List.of(jcmd.toString(), onlyPid()));
        arguments.addAll(List.of(command));
        // Its output to a file, so that the timeout holds: reading a pipe would wait for jcmd however long it takes.
        Path output = Files.createTempFile("jcmd", ".txt");
        try {
            Process process = new ProcessBuilder(arguments).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroy();
                throw new IllegalStateException(String.join(" ", arguments) + " failed: " + Files.readString(output));
            }
            return Files.readString(output);
        } finally {
            Files.delete(output);
        }
    }

    /** A full collection: {@code jcmd GC.run} on a JVM; on a native executable, a heap dump (which collects first), deleted. */
    void collectGarbage() throws IOException, InterruptedException {
        Path jcmd = jcmd();
        if (jcmd != null) {
            jcmd(jcmd, "GC.run");
        } else {
            Files.delete(heapDump());
        }
    }

    /** A native executable's class histogram, from a heap dump (deleted once read; kept when it cannot be read). */
    Map<String, SocketMemory.Row> heapDumpHistogram() throws IOException, InterruptedException {
        Path dump = heapDump();
        Map<String, SocketMemory.Row> histogram = HeapDumpHistogram.read(dump);
        Files.delete(dump);
        return histogram;
    }

    /**
     * The heap dump a native executable writes to its working directory on SIGUSR1 (built with
     * {@code --enable-monitoring=heapdump}, Quarkus' default) after a full collection; only a dump this call asked for.
     */
    private Path heapDump() throws IOException, InterruptedException {
        String pid = onlyPid();
        // Without a handler, SIGUSR1 (signal 10: bit 9 of the caught signals' mask) would end the server.
        String status = Files.readString(Path.of("/proc", pid, "status"));
        Matcher caught = Pattern.compile("(?m)^SigCgt:\\s*([0-9a-f]+)$").matcher(status);
        if (!caught.find() || (Long.parseUnsignedLong(caught.group(1), 16) & (1L << 9)) == 0) {
            throw new IllegalStateException("The server (pid " + pid + ") has no SIGUSR1 handler: it cannot dump its heap");
        }
        Path directory = Path.of("/proc", pid, "cwd").toRealPath();
        Pattern dumpName = Pattern.compile(Pattern.quote("svm-heapdump-" + pid + "-") + "\\d+\\.hprof");
        Set<Path> earlier = heapDumps(directory, dumpName);
        if (new ProcessBuilder("kill", "-USR1", pid).inheritIO().start().waitFor() != 0) {
            throw new IllegalStateException("kill -USR1 " + pid + " failed");
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        ProcessHandle server = ProcessHandle.of(Long.parseLong(pid)).orElseThrow();
        long lastSize = -1;
        while (System.nanoTime() < deadline && server.isAlive()) {
            Path dump = heapDumps(directory, dumpName).stream().filter(file -> !earlier.contains(file)).findFirst().orElse(null);
            if (dump != null) {
                // Written in place: complete once it ends with its last record and has stopped growing.
                long size = Files.size(dump);
                if (size == lastSize && HeapDumpHistogram.complete(dump)) {
                    return dump;
                }
                lastSize = size;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("No complete heap dump from pid " + pid + " in " + directory
                + " within 2 minutes (its log says why)");
    }

    private static Set<Path> heapDumps(Path directory, Pattern dumpName) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> dumpName.matcher(file.getFileName().toString()).matches()).collect(Collectors.toSet());
        }
    }

    private String onlyPid() {
        if (pids.size() != 1) {
            throw new IllegalArgumentException("This needs the one --server-pid of the service, not " + pids);
        }
        return pids.get(0);
    }

    private static long statusField(String pid, String field) throws IOException {
        return field(Path.of("/proc", pid, "status"), field);
    }

    private static long smapsField(String pid, String field) throws IOException {
        return field(Path.of("/proc", pid, "smaps_rollup"), field);
    }

    private static long field(Path file, String field) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("No " + field + " in " + file);
    }
}
