package org.acme.notifications;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one set of rules for every way in, on its own: what is a notification and which code says why not. */
class NotificationRequestParserTest {

    private final NotificationRequestParser parser = new NotificationRequestParser(new ObjectMapper(), 16);

    @Test
    void aFullNotificationKeepsEveryField() {
        NotificationRequest request = parser.fromJson(
                "{\"message\":\"hi\",\"title\":\"t\",\"level\":\"warning\",\"user\":\"alice\",\"channel\":\"team-a:ops\",\"extra\":1}");

        assertEquals(new NotificationRequest("hi", "t", "warning", "alice", "team-a:ops"), request);
        assertEquals(new Target("alice", "team-a:ops"), request.target());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"message\": `|invalid-json",
            "`{\"message\":\"a\"} junk`|invalid-json",
            "``|invalid-json",
            "`[\"message\"]`|invalid-message",
            "`{\"message\": null}`|invalid-message",
            "`{\"message\": 42}`|invalid-message",
            "`{\"message\": \"  \"}`|invalid-message",
            "`{\"message\": \"\\ud800\"}`|invalid-message",
            "`{\"message\": \"a\", \"level\": \"fatal\"}`|invalid-message",
            "`{\"message\": \"12345678901234567\"}`|message-too-large",
            "`{\"message\": \"a\", \"user\": 42}`|invalid-target",
            "`{\"message\": \"a\", \"user\": \" \"}`|invalid-target",
            "`{\"message\": \"a\", \"user\": \"a\\u0007b\"}`|invalid-target",
            "`{\"message\": \"a\", \"user\": \"\\udc00\"}`|invalid-target",
            "`{\"message\": \"a\", \"channel\": \"\"}`|invalid-target",
            "`{\"message\": \"a\", \"channel\": \"no spaces\"}`|invalid-target",
            "`{\"message\": \"a\", \"channel\": \"x/y\"}`|invalid-target",
            "`{\"message\": \"a\", \"channel\": [\"x\"]}`|invalid-target",
    })
    void badInputGetsItsCode(String json, String code) {
        InvalidNotificationException refused = assertThrows(InvalidNotificationException.class, () -> parser.fromJson(json));
        assertEquals(code, refused.code().code());
    }

    @Test
    void namesHaveTheirLimits() {
        assertEquals("a".repeat(64), parser.fromJson("{\"message\":\"a\",\"channel\":\"" + "a".repeat(64) + "\"}").channel());
        assertThrows(InvalidNotificationException.class, () -> parser.fromJson("{\"message\":\"a\",\"channel\":\"" + "a".repeat(65) + "\"}"));
        assertEquals(255, parser.fromJson("{\"message\":\"a\",\"user\":\"" + "u".repeat(255) + "\"}").user().length());
        assertThrows(InvalidNotificationException.class, () -> parser.fromJson("{\"message\":\"a\",\"user\":\"" + "u".repeat(256) + "\"}"));
    }

    @Test
    void aRecordValueIsJsonOrElsePlainText() {
        assertEquals("plain", parser.fromRecordValue("plain".getBytes(StandardCharsets.UTF_8)).message());
        assertEquals("bob", parser.fromRecordValue("  {\"message\":\"x\",\"user\":\"bob\"}".getBytes(StandardCharsets.UTF_8)).user());
        assertEquals(ErrorCode.INVALID_RECORD, assertThrows(InvalidNotificationException.class,
                () -> parser.fromRecordValue(new byte[] {(byte) 0xC3, (byte) 0x28})).code());
        assertEquals(ErrorCode.INVALID_RECORD, assertThrows(InvalidNotificationException.class, () -> parser.fromRecordValue(null)).code());
    }
}
