package org.acme.notifications.access;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key checks on their own: which key a publisher presents, and how the Authorization header is read. */
class ApiKeysTest {

    @Test
    void aKeyIsKnownByItsPlaceAndNothingElseMatches() {
        ApiKeys keys = new ApiKeys(List.of("first-key", " second-key ", "", "third"), true, false);

        assertEquals(0, keys.indexOf("first-key"));
        assertEquals(1, keys.indexOf("second-key"));
        assertEquals(2, keys.indexOf("third"));
        assertEquals(3, keys.count());
        for (String other : new String[] {null, "", "first-key ", "FIRST-KEY", "first-key-but-longer", "second-key "}) {
            assertEquals(-1, keys.indexOf(other), String.valueOf(other));
        }
        assertTrue(keys.mayPublish("third"));
        assertFalse(keys.mayPublish(null));
        assertTrue(keys.maySubscribe(null));
    }

    @Test
    void theBearerTokenIsReadFromTheAuthorizationHeader() {
        assertEquals("abc", ApiKeys.fromAuthorization("Bearer abc"));
        assertEquals("abc", ApiKeys.fromAuthorization("bearer  abc "));
        assertNull(ApiKeys.fromAuthorization("Basic YWJj"));
        assertNull(ApiKeys.fromAuthorization("Bearer"));
        assertNull(ApiKeys.fromAuthorization(null));
    }
}
