package org.acme.notifications.frames;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A close frame's reason fits the 123 bytes RFC 6455 allows, cut between characters, never inside one. */
class CloseCodeTest {

    @Test
    void aLongReasonIsCutTo123BytesBetweenCharacters() {
        String reason = CloseCode.BEHIND.reason("é".repeat(200)); // é is two bytes: the 123rd is inside one

        assertEquals(122, reason.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(reason.endsWith("é"));
    }

    @Test
    void aShortReasonIsSentAsItIs() {
        assertEquals("too slow: sends frames but reads no answers",
                CloseCode.TOO_SLOW.reason("too slow: sends frames but reads no answers"));
        assertEquals(4009, CloseCode.BEHIND.code());
    }
}
