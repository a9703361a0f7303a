package org.acme.notifications;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The one place that decides what a notification is, for every way in: REST bodies, socket frames
 * and Kafka records from any producer.
 */
@ApplicationScoped
public class NotificationRequestParser {

    public static final Set<String> LEVELS = Set.of("info", "success", "warning", "error");
    public static final int MAX_TITLE_CHARS = 200;
    public static final int MAX_USER_CHARS = 255;
    public static final int MAX_DATA_BYTES = 4096;

    private final ObjectReader reader;
    private final ObjectMapper mapper;
    private final int maxMessageBytes;

    @Inject
    public NotificationRequestParser(ObjectMapper mapper, NotificationsConfig config) {
        this(mapper, config.maxMessageBytes());
    }

    NotificationRequestParser(ObjectMapper mapper, int maxMessageBytes) {
        // "{...} junk" is not JSON, whatever a lenient parser thinks.
        // Decimals in 'data' stay exactly as written: a double would round 0.1000000000000000055511151231257827.
        this.reader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        this.mapper = mapper;
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * A JSON object with a string {@code message} and optional {@code title}, {@code level}, {@code user},
     * {@code channel}, {@code link} and {@code data}.
     */
    public NotificationRequest fromJson(byte[] json) {
        return fromTree(readTree(json));
    }

    /** Any JSON value; {@code invalid-json} when it is none. */
    public JsonNode readTree(byte[] json) {
        try {
            return reader.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidNotificationException(ErrorCode.INVALID_JSON, "Not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidNotificationException(ErrorCode.INVALID_JSON, "Could not be read: " + e.getMessage());
        }
    }

    public NotificationRequest fromJson(String json) {
        return fromJson(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The value of a record written by any Kafka producer: a JSON object as {@link #fromJson(byte[])},
     * or else plain UTF-8 text, which becomes the message.
     */
    public NotificationRequest fromRecordValue(byte[] value) {
        if (value == null) {
            throw new InvalidNotificationException(ErrorCode.INVALID_RECORD, "Record has no value");
        }
        String text = decodeUtf8(value);
        if (text.stripLeading().startsWith("{")) {
            return fromJson(value);
        }
        return validate(new NotificationRequest(text, null, null, null, null, null, null));
    }

    /** A JSON value read by {@link #readTree}, as a notification. */
    public NotificationRequest fromTree(JsonNode body) {
        if (body == null || body.isMissingNode()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_JSON, "Empty; expected a JSON object such as {\"message\": \"...\"}");
        }
        if (!body.isObject()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "Expected a JSON object such as {\"message\": \"...\"}");
        }
        return validate(new NotificationRequest(requiredString(body, "message"), optionalString(body, "title"),
                optionalString(body, "level"), targetField(body, "user"), targetField(body, "channel"), optionalString(body, "link"),
                data(body)));
    }

    private NotificationRequest validate(NotificationRequest request) {
        String message = request.message();
        String title = request.title();
        String level = request.level();
        if (message.isBlank()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'message' must not be blank");
        }
        requireWellFormed("message", message, ErrorCode.INVALID_MESSAGE);
        int bytes = message.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxMessageBytes) {
            throw new InvalidNotificationException(ErrorCode.MESSAGE_TOO_LARGE,
                    "'message' is " + bytes + " bytes of UTF-8; the limit is " + maxMessageBytes);
        }
        if (title != null) {
            requireWellFormed("title", title, ErrorCode.INVALID_MESSAGE);
            if (title.length() > MAX_TITLE_CHARS) {
                throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'title' is longer than " + MAX_TITLE_CHARS + " characters");
            }
        }
        if (level != null && !LEVELS.contains(level)) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'level' must be one of " + String.join(", ", LEVELS.stream().sorted().toList()));
        }
        validateTarget(request.target());
        if (request.link() != null) {
            SafeLinks.validate(request.link());
        }
        if (request.data() != null) {
            validateData(request.data());
        }
        return request;
    }

    private static void validateData(String data) {
        int bytes = data.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_DATA_BYTES) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE,
                    "'data' is " + bytes + " bytes of JSON; the limit is " + MAX_DATA_BYTES);
        }
    }

    /** A target, also of a subscription: a channel name of the documented syntax, a user as a token subject can be. */
    public static void validateTarget(Target target) {
        if (target.channel() != null && !Target.CHANNEL_NAME.matcher(target.channel()).matches()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_TARGET,
                    "'channel' must be 1-64 characters of A-Z a-z 0-9 _ - . : (got '" + abbreviate(target.channel()) + "')");
        }
        String user = target.user();
        if (user != null && (user.isBlank() || user.length() > MAX_USER_CHARS || user.chars().anyMatch(Character::isISOControl))) {
            throw new InvalidNotificationException(ErrorCode.INVALID_TARGET,
                    "'user' must be 1-" + MAX_USER_CHARS + " characters without control characters, not blank");
        }
        if (user != null) {
            requireWellFormed("user", user, ErrorCode.INVALID_TARGET);
        }
    }

    private static String abbreviate(String value) {
        return value.length() <= 70 ? value : value.substring(0, 70) + "...";
    }

    private static String requiredString(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'" + field + "' is required");
        }
        if (!node.isTextual()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'" + field + "' must be a string");
        }
        return node.textValue();
    }

    /** {@code user} or {@code channel}: absent, or a string ({@code invalid-target} otherwise). */
    private static String targetField(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_TARGET, "'" + field + "' must be a string");
        }
        return node.textValue();
    }

    /**
     * {@code data}: absent, or a JSON object, kept as its compact JSON text: a few KiB of text, where a tree of nodes
     * would take many times that in every kept notification.
     */
    private String data(JsonNode body) {
        JsonNode node = body.get("data");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'data' must be a JSON object");
        }
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new InvalidNotificationException(ErrorCode.INVALID_MESSAGE, "'data' could not be written as JSON");
        }
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node == null || node.isNull() ? null : requiredString(body, field);
    }

    /** JSON escapes can smuggle in lone surrogates, which no UTF-8 encoder can write faithfully. */
    static void requireWellFormed(String field, String value, ErrorCode code) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidNotificationException(code, "'" + field + "' contains an unpaired UTF-16 surrogate");
            }
        }
    }

    private static String decodeUtf8(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidNotificationException(ErrorCode.INVALID_RECORD, "Record value is not valid UTF-8");
        }
    }
}
