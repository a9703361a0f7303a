package org.acme.notifications.ingest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each record is delivered once per partition: what a rebalance fetches again is recognised and skipped. */
class PartitionPositionsTest {

    private final PartitionPositions positions = new PartitionPositions(null, null, 0); // advance() needs none of them

    @Test
    void aRecordFetchedAgainIsNotDeliveredTwice() {
        assertTrue(positions.advance(0, 10));
        assertTrue(positions.advance(0, 11));
        assertFalse(positions.advance(0, 10), "fetched again after a rebalance");
        assertFalse(positions.advance(0, 11));
        assertTrue(positions.advance(0, 12));
    }

    @Test
    void partitionsAreCountedApart() {
        assertTrue(positions.advance(0, 5));
        assertTrue(positions.advance(1, 0));
        assertFalse(positions.advance(0, 5));
        assertTrue(positions.advance(1, 1));
    }
}
