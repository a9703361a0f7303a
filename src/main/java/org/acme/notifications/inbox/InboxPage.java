package org.acme.notifications.inbox;

import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * One page of a user's inbox, newest first, with the user's counts.
 *
 * @param next the cursor of the page after this one ({@code before=}), or null on the last page
 */
@RegisterForReflection
public record InboxPage(List<InboxItem> items, @Schema(nullable = true) String next, long unread, long unseen) {
}
