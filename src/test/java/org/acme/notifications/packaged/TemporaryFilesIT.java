package org.acme.notifications.packaged;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

/**
 * Two instances on one host share its temporary directory, as replicas and tests do. Neither writes the snappy
 * library to a fixed name there (where each would overwrite the file the other has loaded); the native
 * executable, which carries that library, keeps it in a directory of its own and removes it when it stops.
 */
class TemporaryFilesIT {

    private static final String SNAPPY = System.mapLibraryName("snappyjava");

    @Test
    void eachInstanceKeepsItsTemporaryFilesApartAndRemovesThemOnStop() throws IOException {
        Path shared = Files.createDirectories(Path.of("target", "tmp-" + UUID.randomUUID()).toAbsolutePath());
        Map<String, String> settings = Map.of("java.io.tmpdir", shared.toString());
        // No broker needed: the library is written as the service starts.
        try (ServiceProcess first = new ServiceProcess("127.0.0.1:1", "tmp-1", settings).launch();
             ServiceProcess second = new ServiceProcess("127.0.0.1:1", "tmp-2", settings).launch()) {
            assertThat(Files.exists(shared.resolve(SNAPPY)), is(false));
            if (ServiceProcess.isNative()) {
                List<Path> own = list(shared);
                assertThat(own, hasSize(2));
                for (Path dir : own) {
                    assertThat(dir + " holds its process's snappy library", Files.exists(dir.resolve(SNAPPY)), is(true));
                }
            }
            first.terminate();
            second.terminate();
        }
        if (ServiceProcess.isNative()) {
            assertThat(list(shared), empty());
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        }
    }
}
