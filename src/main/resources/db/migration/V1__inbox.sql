-- Each user's stored notifications (docs/inbox.md). The key is the notification's own id, <partition>-<offset> of its
-- Kafka record: writing a record again (a replica restarted, a rebalance) stores nothing twice.
CREATE TABLE inbox_item (
    id          text        PRIMARY KEY,
    user_id     text        NOT NULL,
    created_at  timestamptz NOT NULL,
    -- The id's two parts, for an order that holds within one millisecond: a later offset is newer.
    kafka_offset    bigint  NOT NULL,
    kafka_partition integer NOT NULL,
    message     text        NOT NULL,
    title       text,
    level       text,
    channel     text,
    link        text,
    data        json,
    seen_at     timestamptz,
    read_at     timestamptz,
    archived_at timestamptz
);

-- A user's page, newest first, and the cursor that continues it.
CREATE INDEX inbox_item_page ON inbox_item (user_id, created_at DESC, kafka_offset DESC, kafka_partition DESC);
