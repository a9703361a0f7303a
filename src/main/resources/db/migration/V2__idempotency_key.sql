-- A notification published again with the same Idempotency-Key by the same publisher (a retry after a 503) is stored
-- once, whichever replica wrote it and however long after: the first in the topic's order, as the live consumers keep
-- the first of a key (for whichever user: a key reused for another user is a repeat there too).
ALTER TABLE inbox_item ADD COLUMN publisher text, ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX inbox_item_idempotency ON inbox_item (publisher, idempotency_key) WHERE idempotency_key IS NOT NULL;
