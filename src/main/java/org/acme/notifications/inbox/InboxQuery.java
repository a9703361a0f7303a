package org.acme.notifications.inbox;

import org.acme.notifications.ErrorCode;

/**
 * What {@code GET /api/inbox} asks for, from its query parameters, each checked: a page of {@code limit} items (1 to
 * {@value #MAX_LIMIT}, {@value #DEFAULT_LIMIT} by default) after {@code before} (null: from the newest), unread ones
 * only or all, archived ones too or not.
 */
record InboxQuery(int limit, InboxCursor before, boolean unreadOnly, boolean archived) {

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    static InboxQuery of(String limit, String before, String status, String archived) {
        return new InboxQuery(limit(limit), before == null ? null : cursor(before), flag("status", status, "all", "unread"),
                flag("archived", archived, "false", "true"));
    }

    private static int limit(String text) {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException notANumber) {
            // answered below
        }
        throw new InboxRefusal(ErrorCode.INVALID_LIMIT, "'limit' is a number from 1 to " + MAX_LIMIT);
    }

    private static InboxCursor cursor(String text) {
        InboxCursor cursor = InboxCursor.parse(text);
        if (cursor == null) {
            throw new InboxRefusal(ErrorCode.INVALID_CURSOR, "'before' is the 'next' of an earlier page, as it was given");
        }
        return cursor;
    }

    /** False for {@code no} (the default), true for {@code yes}. */
    private static boolean flag(String name, String text, String no, String yes) {
        if (text == null || text.equals(no)) {
            return false;
        }
        if (text.equals(yes)) {
            return true;
        }
        throw new InboxRefusal(ErrorCode.INVALID_STATUS, "'" + name + "' is " + no + " or " + yes);
    }
}
