package org.acme.notifications.inbox;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;

/** Whether the inbox writer is storing: failing since when, and why. Logged once per outage, not once per retry. */
@ApplicationScoped
public class InboxState {

    private static final Logger LOG = Logger.getLogger(InboxState.class);

    private volatile Throwable lastFailure; // since the last success
    private volatile Instant failingSince;

    void writeFailed(Throwable failure) {
        if (failingSince == null) {
            failingSince = Instant.now();
            LOG.warnf("The inbox cannot store notifications (%s): retrying; live delivery goes on", failure.getMessage());
        }
        lastFailure = failure;
    }

    void wrote() {
        if (failingSince != null) {
            LOG.infof("The inbox stores notifications again (it could not since %s); nothing was skipped", failingSince);
            failingSince = null;
            lastFailure = null;
        }
    }

    /** Null while storing. */
    Throwable lastFailure() {
        return lastFailure;
    }

    Instant failingSince() {
        return failingSince;
    }
}
