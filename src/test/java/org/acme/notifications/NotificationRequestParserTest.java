package org.acme.notifications;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.acme.notifications.testsupport.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one set of rules for every way in, on its own: what is a notification and which code says why not. */
class NotificationRequestParserTest {

    private final NotificationRequestParser parser = new NotificationRequestParser(new ObjectMapper(), 16);

    @Test
    void aFullNotificationKeepsEveryField() {
        NotificationRequest request = parser.fromJson(
                "{\"message\":\"hi\",\"title\":\"t\",\"level\":\"warning\",\"user\":\"alice\",\"channel\":\"team-a:ops\",\"extra\":1}");

        assertEquals(new NotificationRequest("hi", "t", "warning", "alice", "team-a:ops", null, null), request);
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
            "`{\"message\": \"a\", \"link\": \"javascript:alert(1)\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"JavaScript:alert(1)\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"data:text/html,<script>alert(1)</script>\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"vbscript:msgbox\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"//evil.example/login\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\\\evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"java\\tscript:alert(1)\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \" https://example.com\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"https://\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"ftp://example.com/f\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"exports/42\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": 42}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\t/evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\n/evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\r\\\\evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\u00a0/evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\u2028/evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/\\u200b/evil.example\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"https://exa\\u202emple.com\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"https://trusted.example@evil.example/\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"https://user:pass@example.com/\"}`|invalid-message",
            "`{\"message\": \"a\", \"link\": \"/%zz\"}`|invalid-message",
            "`{\"message\": \"a\", \"data\": [1, 2]}`|invalid-message",
            "`{\"message\": \"a\", \"data\": \"text\"}`|invalid-message",
            "`{\"message\": \"a\", \"data\": 1}`|invalid-message",
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
    void aLinkIsAWebUrlOrAPathOnThisSiteOfAtMost2048Characters() {
        for (String link : List.of("https://example.com/exports/42?x=1#top", "http://intranet.example:8080/a", "HTTPS://EXAMPLE.COM",
                "/exports/42", "/")) {
            assertEquals(link, parser.fromJson(Json.object("message", "a", "link", link)).link());
        }
        String longest = "https://example.com/" + "a".repeat(2048 - "https://example.com/".length());
        assertEquals(longest, parser.fromJson(Json.object("message", "a", "link", longest)).link());
        assertEquals(ErrorCode.INVALID_MESSAGE, assertThrows(InvalidNotificationException.class,
                () -> parser.fromJson(Json.object("message", "a", "link", longest + "a"))).code());
    }

    @Test
    void dataIsAJsonObjectOfAtMost4KiB() {
        String fits = "{\"message\":\"a\",\"data\":{\"x\":\"" + "d".repeat(4096 - "{\"x\":\"\"}".length()) + "\"}}";
        assertEquals(4096, parser.fromJson(fits).data().getBytes(StandardCharsets.UTF_8).length);
        String tooBig = "{\"message\":\"a\",\"data\":{\"x\":\"" + "d".repeat(4097 - "{\"x\":\"\"}".length()) + "\"}}";
        assertEquals(ErrorCode.INVALID_MESSAGE, assertThrows(InvalidNotificationException.class, () -> parser.fromJson(tooBig)).code());
        assertEquals("{\"export\":42,\"rows\":[1,2]}", parser.fromJson("{\"message\":\"a\",\"data\": { \"export\" : 42, \"rows\":[1, 2]}}").data());
        // Kept exactly: neither the big integer nor the long decimal goes through a double.
        assertEquals("{\"n\":12345678901234567890123,\"x\":0.1000000000000000055511151231257827}",
                parser.fromJson("{\"message\":\"a\",\"data\":{\"n\":12345678901234567890123,\"x\":0.1000000000000000055511151231257827}}").data());
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
