package org.acme.notifications.history;

import org.acme.notifications.Notification;

/** A notification this instance read from the topic, and where its record sits there. */
public record ReceivedNotification(Notification notification, int partition, long offset) {
}
