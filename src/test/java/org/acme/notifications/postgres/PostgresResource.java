package org.acme.notifications.postgres;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import org.acme.notifications.kafka.KafkaBrokerProcess;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Gives every test application a real PostgreSQL database of its own: one server per test JVM
 * ({@link PostgresServer}, stopped when the JVM exits), a new empty database per application, migrated by the service
 * itself as in production. Tests reach the server through {@link #server()} (to stop and start it).
 */
@WithTestResource(value = PostgresResource.class, scope = TestResourceScope.GLOBAL)
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    private static PostgresServer server;

    /** The one server of this JVM, started on first use. */
    public static synchronized PostgresServer server() {
        if (server == null) {
            PostgresServer started = new PostgresServer(KafkaBrokerProcess.freePort(),
                    Path.of("target", "postgres-test", UUID.randomUUID().toString()));
            started.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "postgres-stop"));
            server = started;
        }
        return server;
    }

    /** The settings that point the service at a new, empty database of the server. */
    public static Map<String, String> newDatabase() {
        PostgresServer server = server();
        String database = "test_" + UUID.randomUUID().toString().replace("-", "");
        server.createDatabase(database);
        return Map.of("quarkus.datasource.reactive.url", server.url(database),
                "quarkus.datasource.username", PostgresServer.USER,
                "quarkus.datasource.password", server.password());
    }

    @Override
    public Map<String, String> start() {
        return newDatabase();
    }

    @Override
    public void stop() {
    }
}
