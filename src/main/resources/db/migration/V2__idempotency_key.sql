-- A notification published again with the same Idempotency-Key by the same publisher (a retry after a 503) is stored
-- once for its user, whichever replica wrote it and however long after: the first in the topic's order.
ALTER TABLE inbox_item ADD COLUMN publisher text, ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX inbox_item_idempotency ON inbox_item (user_id, publisher, idempotency_key) WHERE idempotency_key IS NOT NULL;
