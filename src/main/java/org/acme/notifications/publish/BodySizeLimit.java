package org.acme.notifications.publish;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.Problem;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A body announced larger than quarkus.http.limits.max-body-size is refused before it is read; the
 * HTTP layer would answer a bare 413, this answers it with a problem body like every other error.
 */
@ApplicationScoped
class BodySizeLimit {

    private final long maxBodyBytes;

    BodySizeLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.maxBodyBytes = maxBodySize.asLongValue();
    }

    void refuseOversizedBodies(@Observes Router router) {
        // Publishing and the inbox's changes: the two kinds of POST with a body.
        router.postWithRegex("/api/(notifications|inbox/[a-z]+)").order(-100).handler(context -> {
            String length = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length == null || !length.matches("\\d{1,18}") || Long.parseLong(length) <= maxBodyBytes) {
                context.next();
                return;
            }
            Problem problem = Problem.of(ErrorCode.BODY_TOO_LARGE,
                    "The body is " + length + " bytes; the limit is " + maxBodyBytes + " (a notification, or a list of ids, is at most a few KiB)");
            context.response().setStatusCode(ErrorCode.BODY_TOO_LARGE.status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .putHeader(HttpHeaders.CONNECTION, "close") // the rest of the body is not read
                    .end(Json.encode(problem));
        });
    }
}
