package org.acme.notifications.inbox;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What the badge shows: a user's stored notifications not read yet, and not seen yet (listed while unseen). Archived
 * ones count for neither.
 */
@RegisterForReflection
public record InboxCounts(long unread, long unseen) {
}
