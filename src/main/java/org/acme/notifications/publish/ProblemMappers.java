package org.acme.notifications.publish;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Problem;
import org.acme.notifications.access.NotAllowedToPublishException;
import org.acme.notifications.access.PublishRateExceededException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error of the HTTP API answers with a problem body. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response invalid(InvalidNotificationException e) {
        return Problem.response(e.code(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response unauthorized(NotAllowedToPublishException e) {
        return Response.fromResponse(Problem.response(ErrorCode.UNAUTHORIZED, e.getMessage()))
                .header("WWW-Authenticate", "Bearer")
                .build();
    }

    @ServerExceptionMapper
    public Response rateLimited(PublishRateExceededException e) {
        return Response.fromResponse(Problem.response(ErrorCode.RATE_LIMITED, e.getMessage()))
                .header("Retry-After", "1")
                .build();
    }

    @ServerExceptionMapper
    public Response keyReused(IdempotencyKeyReusedException e) {
        return Problem.response(ErrorCode.IDEMPOTENCY_KEY_REUSED, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(PublishFailedException e) {
        LOG.warnf("Refused a notification with 503: %s", e.getMessage());
        return Response.fromResponse(Problem.response(ErrorCode.KAFKA_UNAVAILABLE, PublishFailedException.DETAIL))
                .header("Retry-After", "5")
                .build();
    }

    @ServerExceptionMapper
    public Response framework(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 406 -> "not-acceptable";
            case 415 -> "unsupported-media-type";
            default -> "http-" + status;
        };
        return Problem.response(status, code, e.getMessage());
    }
}
