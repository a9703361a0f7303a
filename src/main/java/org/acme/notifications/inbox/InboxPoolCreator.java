package org.acme.notifications.inbox;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * The inbox's connection pool, with the two bounds Quarkus has no setting for: a connection that cannot be made fails
 * within seconds (Vert.x waits 60 s), so a call answers 503 before its timeout; and at most {@value #MAX_WAITING}
 * statements wait for a connection (Vert.x lets any number wait), so a reconnect storm or an outage fails fast instead
 * of queueing work that runs after it stopped mattering.
 */
@Singleton
public class InboxPoolCreator implements PgPoolCreator {

    static final int CONNECT_TIMEOUT_MS = 3000;
    static final int MAX_WAITING = 1024;

    @Override
    public Pool create(Input input) {
        PoolOptions pool = input.poolOptions().setMaxWaitQueueSize(MAX_WAITING);
        for (PgConnectOptions connect : input.pgConnectOptionsList()) {
            connect.setConnectTimeout(CONNECT_TIMEOUT_MS);
        }
        List<SqlConnectOptions> servers = List.copyOf(input.pgConnectOptionsList());
        return PgBuilder.pool().with(pool).connectingTo(servers).using(input.vertx()).build();
    }
}
