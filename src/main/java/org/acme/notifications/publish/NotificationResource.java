package org.acme.notifications.publish;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.IdempotencyKey;
import org.acme.notifications.InvalidNotificationException;
import org.acme.notifications.Notification;
import org.acme.notifications.NotificationRequest;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.NotificationSource;
import org.acme.notifications.Problem;
import org.acme.notifications.access.ApiKeys;
import org.acme.notifications.access.NotAllowedToPublishException;
import org.acme.notifications.access.PublishRateExceededException;
import org.acme.notifications.access.PublishRates;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** The REST trigger: {@code POST /api/notifications} with {@code {"message": "..."}}. */
@Path("/api/notifications")
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key from notifications.api-keys")
public class NotificationResource {

    private final NotificationRequestParser parser;
    private final NotificationPublisher publisher;
    private final ApiKeys apiKeys;
    private final PublishRates publishRates;

    public NotificationResource(NotificationRequestParser parser, NotificationPublisher publisher, ApiKeys apiKeys,
                                PublishRates publishRates) {
        this.parser = parser;
        this.publisher = publisher;
        this.apiKeys = apiKeys;
        this.publishRates = publishRates;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish a notification",
            description = "Writes the notification to the Kafka topic and answers once the broker acknowledged it; "
                    + "every instance then delivers it to its sockets it is for: everyone without 'user' and 'channel', "
                    + "that user's sockets, that channel's subscribers, or that user's sockets in that channel.")
    @SecurityRequirement(name = "apiKey")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = NotificationRequest.class)))
    @APIResponse(responseCode = "202", description = "Kafka acknowledged the notification",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Notification.class)))
    @APIResponse(responseCode = "400", description = "Not JSON, or not a valid notification (a bad 'user' or 'channel': invalid-target), "
            + "or a malformed Idempotency-Key (invalid-idempotency-key)", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "The Idempotency-Key was used for another notification within its window "
            + "(idempotency-key-reused)", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "401", description = "Publishing needs an API key", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "The message (or the body) is over its size limit", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "The body is not application/json", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "This API key is over its publishing rate; retry later", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "Kafka did not acknowledge in time; retry later", content = @Content(
            mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> publish(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                 @Parameter(description = "Any string of 1 to 255 visible ASCII characters, new for each notification: "
                                         + "a retry with the same key (and the same body) within notifications.idempotency.window "
                                         + "(5 minutes) is answered as the first was, and delivered and stored once")
                                 @HeaderParam(IdempotencyKey.HEADER) String idempotencyKey, byte[] body) {
        String key = ApiKeys.fromAuthorization(authorization);
        if (!apiKeys.mayPublish(key)) {
            throw new NotAllowedToPublishException();
        }
        if (idempotencyKey != null && !IdempotencyKey.valid(idempotencyKey)) {
            throw new InvalidNotificationException(ErrorCode.INVALID_IDEMPOTENCY_KEY,
                    "Idempotency-Key must be 1 to " + IdempotencyKey.MAX_LENGTH + " visible ASCII characters, without spaces");
        }
        if (!publishRates.tryTake(apiKeys.indexOf(key))) {
            throw new PublishRateExceededException();
        }
        // The raw body, parsed by the same rules as socket frames and Kafka records.
        return Uni.createFrom().item(() -> parser.fromJson(body))
                .chain(request -> idempotencyKey == null ? publisher.publish(request, NotificationSource.REST)
                        : publisher.publish(request, NotificationSource.REST, new IdempotencyKey(ApiKeys.publisherOf(key), idempotencyKey)))
                .map(notification -> Response.accepted(notification).build());
    }
}
