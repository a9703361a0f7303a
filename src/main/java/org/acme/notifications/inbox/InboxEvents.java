package org.acme.notifications.inbox;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.core.json.Json;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.frames.InboxFrame;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.routing.NotificationBroadcaster;
import org.acme.notifications.routing.Subscriber;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Keeps every device's badge current, on every replica. Whoever changes a user's stored notifications (the writer, a
 * tab that marks one read) publishes "this user's counts changed" to the inbox events topic, keyed by user; every
 * replica reads all of it (a consumer group of its own, from the end) and sends each signed-in socket of that user
 * here a fresh {@code inbox} frame. The event carries no counts: each replica reads them when it tells, so frames
 * never arrive out of order with the database. A socket that joins gets its counts too ({@link #joined}).
 */
@ApplicationScoped
public class InboxEvents {

    private static final Logger LOG = Logger.getLogger(InboxEvents.class);
    /** At most this many count queries at once for one batch of events. */
    private static final int CONCURRENT_READS = 8;

    private final MutinyEmitter<String> emitter;
    private final InboxStore store;
    private final NotificationBroadcaster broadcaster;
    private final FrameEncoder encoder;
    private final boolean enabled;

    public InboxEvents(@Channel("inbox-events-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
                       MutinyEmitter<String> emitter, InboxStore store, NotificationBroadcaster broadcaster,
                       FrameEncoder encoder, NotificationsConfig config) {
        this.emitter = emitter;
        this.store = store;
        this.broadcaster = broadcaster;
        this.encoder = encoder;
        this.enabled = config.inbox().enabled();
    }

    /** Tells every replica; a lost event costs one stale badge until the next change, never a notification. */
    void countsChanged(String user) {
        Message<String> event = Message.of("{\"user\":" + Json.encode(user) + "}")
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(user).build());
        try {
            emitter.sendMessage(event).subscribe().with(sent -> { },
                    failure -> LOG.debugf("Inbox event for a user not sent: %s", failure.getMessage()));
        } catch (RuntimeException overflow) {
            LOG.debugf("Inbox event for a user not sent: %s", overflow.getMessage());
        }
    }

    /** A signed-in subscriber joined: its counts, after its replay if it resumes. Nothing while PostgreSQL is down. */
    public void joined(Subscriber subscriber) {
        if (!enabled || subscriber.user() == null) {
            return;
        }
        store.counts(subscriber.user()).subscribe().with(
                counts -> broadcaster.tell(subscriber, frame(counts)),
                failure -> LOG.debugf("No inbox counts for a joining socket: %s", failure.getMessage()));
    }

    @Incoming("inbox-events-in")
    public Uni<Void> tell(KafkaRecordBatch<String, String> batch) {
        Set<String> changed = new LinkedHashSet<>();
        batch.forEach(event -> {
            if (event.getKey() != null) {
                changed.add(event.getKey());
            }
        });
        return Multi.createFrom().iterable(broadcaster.withSubscribers(changed))
                .onItem().transformToUni(user -> store.counts(user)
                        .invoke(counts -> broadcaster.tellUser(user, frame(counts)))
                        .onFailure().recoverWithNull())
                .merge(CONCURRENT_READS)
                .collect().last()
                .chain(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private TextFrames frame(InboxCounts counts) {
        return encoder.inbox(InboxFrame.of(counts.unread(), counts.unseen()));
    }
}
