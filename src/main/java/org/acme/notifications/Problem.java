package org.acme.notifications;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.core.Response;

/**
 * An RFC 9457 problem body ({@code application/problem+json}).
 *
 * @param type a stable identifier of the kind of problem, {@code urn:notifications:problem:<code>}
 */
@RegisterForReflection
public record Problem(String type, String title, int status, String detail) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String code, String detail) {
        Response.StatusType statusType = Response.Status.fromStatusCode(status);
        String title = statusType == null ? "HTTP " + status : statusType.getReasonPhrase();
        return new Problem("urn:notifications:problem:" + code, title, status, detail);
    }

    public static Problem of(ErrorCode code, String detail) {
        return of(code.status(), code.code(), detail);
    }

    public static Response response(int status, String code, String detail) {
        return Response.status(status).type(MEDIA_TYPE).entity(of(status, code, detail)).build();
    }

    public static Response response(ErrorCode code, String detail) {
        return response(code.status(), code.code(), detail);
    }
}
