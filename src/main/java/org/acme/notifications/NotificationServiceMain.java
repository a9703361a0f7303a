package org.acme.notifications;

import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts the service. The native executable first points {@code java.io.tmpdir} at a directory of its own:
 * Quarkus writes the snappy library it loads (for snappy-compressed Kafka records) there under a fixed name,
 * and two processes on one host would overwrite that file under each other's feet. (The JVM build leaves
 * snappy to snappy-java, which picks a unique name.)
 */
@QuarkusMain
public class NotificationServiceMain {

    public static void main(String... args) throws IOException {
        if (ImageMode.current() == ImageMode.NATIVE_RUN) {
            Path tmp = Files.createTempDirectory("notifications-");
            // Deleted after every shutdown hook, in the reverse order of marking: the snappy library (marked by
            // Quarkus), the empty folder Vert.x leaves, then this directory. A killed process leaves them.
            tmp.toFile().deleteOnExit();
            tmp.resolve("vertx-cache").toFile().deleteOnExit();
            System.setProperty("java.io.tmpdir", tmp.toString());
        }
        Quarkus.run(args);
    }
}
