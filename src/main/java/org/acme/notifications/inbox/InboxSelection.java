package org.acme.notifications.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.NotificationId;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which of a user's items a change is for: {@code {"ids": [...]}} (1 to {@value #MAX_IDS} notification ids) or
 * {@code {"all": true}}. An id of another user's item selects nothing, exactly like an id nobody has.
 *
 * @param ids null for all
 */
record InboxSelection(List<String> ids) {

    static final int MAX_IDS = 100;

    /** From a request body; {@code invalid-json} when it is not JSON. */
    static InboxSelection of(byte[] body, ObjectMapper mapper) {
        try {
            return of(body == null || body.length == 0 ? null : mapper.readTree(body));
        } catch (IOException e) {
            throw new InboxRefusal(ErrorCode.INVALID_JSON, "The body is not JSON");
        }
    }

    static InboxSelection of(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw invalid("The body is a JSON object: {\"ids\": [...]} or {\"all\": true}");
        }
        var names = new ArrayList<String>();
        body.fieldNames().forEachRemaining(names::add);
        if (names.equals(List.of("all"))) {
            if (!body.get("all").isBoolean() || !body.get("all").booleanValue()) {
                throw invalid("'all' is true, or left out in favour of 'ids'");
            }
            return new InboxSelection(null);
        }
        if (!names.equals(List.of("ids"))) {
            throw invalid("Give either 'ids' or 'all': true, and nothing else");
        }
        JsonNode ids = body.get("ids");
        if (!ids.isArray() || ids.isEmpty()) {
            throw invalid("'ids' is an array of 1 to " + MAX_IDS + " notification ids");
        }
        if (ids.size() > MAX_IDS) {
            throw new InboxRefusal(ErrorCode.TOO_MANY_IDS, ids.size() + " ids; at most " + MAX_IDS + " at once, or {\"all\": true}");
        }
        List<String> selected = new ArrayList<>(ids.size());
        for (JsonNode id : ids) {
            if (!id.isTextual() || NotificationId.parse(id.textValue()) == null) {
                throw new InboxRefusal(ErrorCode.INVALID_ID, "Not a notification id (<partition>-<offset>): "
                        + abbreviated(id.toString()));
            }
            selected.add(id.textValue());
        }
        return new InboxSelection(List.copyOf(selected));
    }

    /** The body as OpenAPI shows it. */
    @Schema(description = "Either 'ids' or 'all': true")
    record Body(@Schema(maxItems = MAX_IDS, minItems = 1, description = "Notification ids, <partition>-<offset>") List<String> ids,
                @Schema(description = "true: every item of the caller") Boolean all) {
    }

    private static InboxRefusal invalid(String detail) {
        return new InboxRefusal(ErrorCode.INVALID_SELECTION, detail);
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
