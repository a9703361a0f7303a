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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two native executables on one host share its temporary directory, as replicas and tests do. The executable
 * carries snappy's library, which Quarkus writes under a fixed name; each must keep it in a directory of its own
 * (else each would overwrite the file the other has loaded) and remove it when it stops. (The jar leaves snappy
 * to snappy-java, which picks unique names: nothing to check there.)
 */
class TemporaryFilesIT {

    private static final String SNAPPY = System.mapLibraryName("snappyjava");

    @Test
    void eachNativeInstanceKeepsItsTemporaryFilesApartAndRemovesThemOnStop() throws IOException {
        assumeTrue(ServiceProcess.isNative(), "the native executable only (./mvnw verify -Dnative)");
        Path shared = Files.createDirectories(Path.of("target", "tmp-" + UUID.randomUUID()).toAbsolutePath());
        Map<String, String> settings = Map.of("java.io.tmpdir", shared.toString());
        // No broker needed: the library is written as the service starts.
        try (ServiceProcess first = new ServiceProcess("127.0.0.1:1", "tmp-1", settings).launch();
             ServiceProcess second = new ServiceProcess("127.0.0.1:1", "tmp-2", settings).launch()) {
            assertThat(Files.exists(shared.resolve(SNAPPY)), is(false));
            List<Path> own = list(shared);
            assertThat(own, hasSize(2));
            for (Path dir : own) {
                assertThat(dir + " holds its process's snappy library", Files.exists(dir.resolve(SNAPPY)), is(true));
            }
            first.terminate();
            second.terminate();
        }
        assertThat(list(shared), empty());
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        }
    }
}
