package org.acme.notifications.inbox;

/**
 * What a user can do to stored notifications ({@code POST /api/inbox/seen}, {@code /read}, ...): each an UPDATE of the rows it changes,
 * so that doing it twice changes nothing the second time. Reading a notification also sees it.
 */
enum InboxChange {
    SEEN("seen_at = now()", "seen_at IS NULL"),
    READ("read_at = now(), seen_at = coalesce(seen_at, now())", "read_at IS NULL"),
    UNREAD("read_at = NULL", "read_at IS NOT NULL"),
    ARCHIVE("archived_at = now()", "archived_at IS NULL"),
    UNARCHIVE("archived_at = NULL", "archived_at IS NOT NULL");

    final String set;
    final String unless;

    InboxChange(String set, String unless) {
        this.set = set;
        this.unless = unless;
    }

    /** {@code $1}: the user; {@code $2}: the ids (text[]), when not all. */
    String sql(boolean all) {
        return "UPDATE inbox_item SET " + set + " WHERE user_id = $1 AND " + unless + (all ? "" : " AND id = ANY($2)");
    }
}
