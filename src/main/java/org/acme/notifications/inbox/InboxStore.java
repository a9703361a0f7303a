package org.acme.notifications.inbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationId;
import org.acme.notifications.NotificationsConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The inbox's SQL, on the reactive PostgreSQL client: every call is one statement, on an event loop, and nothing
 * blocks a thread while PostgreSQL answers (or does not).
 */
@ApplicationScoped
public class InboxStore {

    /** One statement for a whole Kafka batch: the rows come in as arrays, one per column. */
    private static final String STORE = """
            INSERT INTO inbox_item (id, user_id, created_at, kafka_offset, kafka_partition, message, title, level, channel, link, data,
                                    publisher, idempotency_key)
            SELECT id, user_id, created_at, kafka_offset, kafka_partition, message, title, level, channel, link, data::json,
                   publisher, idempotency_key
            FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::integer[], $6::text[], $7::text[], $8::text[],
                        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY
                 AS batch(id, user_id, created_at, kafka_offset, kafka_partition, message, title, level, channel, link, data,
                          publisher, idempotency_key, position)
            ORDER BY position
            ON CONFLICT DO NOTHING
            RETURNING user_id""";
    private static final String COUNTS = """
            SELECT count(*) FILTER (WHERE read_at IS NULL) AS unread, count(*) FILTER (WHERE seen_at IS NULL) AS unseen
            FROM inbox_item WHERE user_id = $1 AND archived_at IS NULL""";
    private static final String PAGE = """
            SELECT id, created_at, message, title, level, channel, link, data::text AS data, seen_at, read_at, archived_at
            FROM inbox_item
            WHERE user_id = $1 AND ($2 OR archived_at IS NULL) AND (NOT $3 OR read_at IS NULL) %s
            ORDER BY created_at DESC, kafka_offset DESC, kafka_partition DESC
            LIMIT $4""";
    private static final String FIRST_PAGE = PAGE.formatted("");
    private static final String NEXT_PAGE = PAGE.formatted("AND (created_at, kafka_offset, kafka_partition) < ($5, $6, $7)");
    /** One replica purges at a time (a transaction-scoped advisory lock); the others skip their turn. */
    private static final String PURGE_LOCK = "SELECT pg_try_advisory_xact_lock(7262) AS locked";
    private static final String PURGE_OLD = "DELETE FROM inbox_item WHERE created_at < $1";
    private static final String PURGE_BEYOND_NEWEST = """
            DELETE FROM inbox_item WHERE id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, kafka_offset DESC, kafka_partition DESC) AS newer
                    FROM inbox_item
                    WHERE user_id IN (SELECT user_id FROM inbox_item GROUP BY user_id HAVING count(*) > $1)
                ) AS ranked WHERE newer > $1)""";

    /**
     * A batch of up to 500 rows may take longer than a read under load (a checkpoint, a slow disk); one that times out
     * here may still commit, and its retry then stores nothing (the writer tells every user of the batch then).
     */
    static final Duration BATCH_TIMEOUT = Duration.ofSeconds(30);

    private final Pool pool;
    private final Duration timeout;

    public InboxStore(Pool pool, NotificationsConfig config) {
        this.pool = pool;
        this.timeout = config.inbox().timeout();
    }

    /** A notification to store for its user, and the {@code Idempotency-Key} it was published with (null for none). */
    public record NewItem(Notification notification, IdempotencyKey key) {
    }

    /**
     * Stores the notifications, each for its user, once: one already stored (by id, or by its publisher's
     * {@code Idempotency-Key}) is left as it is; within the batch the first of a key wins. Returns the user of each row
     * stored now. {@code items} all have a user.
     */
    public Uni<List<String>> store(List<NewItem> items) {
        int size = items.size();
        String[] ids = new String[size];
        String[] users = new String[size];
        OffsetDateTime[] times = new OffsetDateTime[size];
        Long[] offsets = new Long[size];
        Integer[] partitions = new Integer[size];
        String[] messages = new String[size];
        String[] titles = new String[size];
        String[] levels = new String[size];
        String[] channels = new String[size];
        String[] links = new String[size];
        String[] data = new String[size];
        String[] publishers = new String[size];
        String[] keys = new String[size];
        for (int i = 0; i < size; i++) {
            Notification notification = items.get(i).notification();
            IdempotencyKey key = items.get(i).key();
            publishers[i] = key == null ? null : key.publisher();
            keys[i] = key == null ? null : key.key();
            ids[i] = notification.id();
            users[i] = notification.user();
            times[i] = notification.timestamp().atOffset(ZoneOffset.UTC);
            NotificationId id = NotificationId.parse(notification.id());
            offsets[i] = id.offset();
            partitions[i] = id.partition();
            messages[i] = storable(notification.message());
            titles[i] = storable(notification.title());
            levels[i] = notification.level();
            channels[i] = notification.channel();
            links[i] = notification.link();
            data[i] = notification.data();
        }
        return pool.preparedQuery(STORE)
                .execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(users).addArrayOfOffsetDateTime(times)
                        .addArrayOfLong(offsets).addArrayOfInteger(partitions)
                        .addArrayOfString(messages).addArrayOfString(titles).addArrayOfString(levels)
                        .addArrayOfString(channels).addArrayOfString(links).addArrayOfString(data)
                        .addArrayOfString(publishers).addArrayOfString(keys))
                .ifNoItem().after(BATCH_TIMEOUT).fail()
                .map(rows -> {
                    List<String> stored = new ArrayList<>(rows.rowCount());
                    rows.forEach(row -> stored.add(row.getString("user_id")));
                    return stored;
                });
    }

    /** Whether PostgreSQL answers, within the inbox's timeout. */
    Uni<Void> ping() {
        return pool.query("SELECT 1").execute().ifNoItem().after(timeout).fail().replaceWithVoid();
    }

    /** A user's counts; fails after the inbox's timeout, as every call here does (but the purge, which takes long). */
    public Uni<InboxCounts> counts(String user) {
        return pool.preparedQuery(COUNTS).execute(Tuple.of(user))
                .ifNoItem().after(timeout).fail()
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new InboxCounts(row.getLong("unread"), row.getLong("unseen"));
                });
    }

    /**
     * Up to {@code limit} of the user's items, newest first, after {@code before} (null: from the newest); archived ones
     * only with {@code archived}, read ones not with {@code unreadOnly}.
     */
    Uni<List<InboxItem>> page(String user, InboxCursor before, boolean archived, boolean unreadOnly, int limit) {
        Tuple arguments = Tuple.of(user, archived, unreadOnly, limit);
        if (before != null) {
            NotificationId id = NotificationId.parse(before.id());
            arguments.addOffsetDateTime(before.createdAt().atOffset(ZoneOffset.UTC)).addLong(id.offset()).addInteger(id.partition());
        }
        return pool.preparedQuery(before == null ? FIRST_PAGE : NEXT_PAGE).execute(arguments)
                .ifNoItem().after(timeout).fail()
                .map(rows -> {
                    List<InboxItem> items = new ArrayList<>(rows.size());
                    rows.forEach(row -> items.add(item(user, row)));
                    return items;
                });
    }

    /** Changes the user's items of {@code ids} (null: all of them); returns how many changed. */
    Uni<Integer> change(String user, InboxChange change, List<String> ids) {
        Tuple arguments = ids == null ? Tuple.of(user) : Tuple.of(user).addArrayOfString(ids.toArray(String[]::new));
        return pool.preparedQuery(change.sql(ids == null)).execute(arguments)
                .ifNoItem().after(timeout).fail()
                .map(rows -> rows.rowCount());
    }

    /**
     * Deletes what is older than {@code oldest} and what is beyond each user's newest {@code maxPerUser}, in one
     * transaction. Returns how many rows went, or -1 when another replica is purging.
     */
    Uni<Integer> purge(Instant oldest, int maxPerUser) {
        return pool.withTransaction(connection -> connection.query(PURGE_LOCK).execute()
                .chain(locked -> !locked.iterator().next().getBoolean("locked") ? Uni.createFrom().item(-1)
                        : connection.preparedQuery(PURGE_OLD).execute(Tuple.of(oldest.atOffset(ZoneOffset.UTC)))
                        .chain(old -> connection.preparedQuery(PURGE_BEYOND_NEWEST).execute(Tuple.of(maxPerUser))
                                .map(beyond -> old.rowCount() + beyond.rowCount()))));
    }

    /**
     * PostgreSQL text cannot hold U+0000, which a notification may carry (it is delivered live as sent): stored as
     * U+FFFD, the replacement character. Otherwise it would fail its whole batch, at every retry.
     */
    private static String storable(String text) {
        return text == null ? null : text.replace('\u0000', '\uFFFD');
    }

    private static InboxItem item(String user, Row row) {
        return new InboxItem(row.getString("id"), row.getString("message"), row.getString("title"), row.getString("level"),
                user, row.getString("channel"), row.getString("link"), row.getString("data"),
                instant(row, "created_at"), instant(row, "seen_at"), instant(row, "read_at"), instant(row, "archived_at"));
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime time = row.getOffsetDateTime(column);
        return time == null ? null : time.toInstant();
    }
}
