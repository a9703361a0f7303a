package org.acme.notifications.inbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Problem;
import org.acme.notifications.access.AccessTokens;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.List;

/**
 * A signed-in user's stored notifications ({@code /api/inbox}, docs/inbox.md), with the access token of their socket:
 * an API key is never taken for one. Every call reads and changes the caller's own items only.
 */
@Path("/api/inbox")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Inbox", description = "Each user's stored notifications")
@SecurityScheme(securitySchemeName = "accessToken", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "JWT",
        description = "The subscriber's access token, as for the socket")
@SecurityRequirement(name = "accessToken")
@APIResponse(responseCode = "401", description = "No access token, or one that does not verify (an API key is not one)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "404", description = "The inbox is off on this deployment (inbox-off)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "503", description = "PostgreSQL did not answer in time (inbox-unavailable): retry after Retry-After",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class InboxResource {

    private static final Logger LOG = Logger.getLogger(InboxResource.class);
    private static final String RETRY_AFTER_SECONDS = "5";
    private static final String SELECTION_PROBLEMS = "Not JSON (invalid-json), neither 'ids' nor 'all' (invalid-selection), "
            + "an id that is not a notification id (invalid-id), more than 100 ids (too-many-ids)";

    private final AccessTokens tokens;
    private final InboxSchema schema;
    private final InboxStore store;
    private final InboxEvents events;
    private final ObjectMapper mapper;
    private final boolean enabled;

    public InboxResource(AccessTokens tokens, InboxSchema schema, InboxStore store, InboxEvents events, ObjectMapper mapper,
                         NotificationsConfig config) {
        this.tokens = tokens;
        this.schema = schema;
        this.store = store;
        this.events = events;
        this.mapper = mapper;
        this.enabled = config.inbox().enabled();
    }

    @GET
    @Operation(summary = "List the caller's stored notifications, newest first",
            description = "One page and the caller's counts; 'next' continues it (as 'before') and is null on the last page. "
                    + "Items that arrive meanwhile come on top, so paging on never skips or repeats one.")
    @APIResponse(responseCode = "200", description = "A page",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxPage.class)))
    @APIResponse(responseCode = "400", description = "A bad limit (invalid-limit), cursor (invalid-cursor), status or archived (invalid-status)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxPage> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                               @Parameter(description = "Items per page, 1-100", schema = @Schema(type = SchemaType.INTEGER, defaultValue = "20", minimum = "1", maximum = "100"))
                               @QueryParam("limit") String limit,
                               @Parameter(description = "The 'next' of the page before") @QueryParam("before") String before,
                               @Parameter(description = "all, or unread only", schema = @Schema(enumeration = {"all", "unread"}, defaultValue = "all"))
                               @QueryParam("status") String status,
                               @Parameter(description = "true: archived items too", schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "false"))
                               @QueryParam("archived") String archived) {
        // Who first: an anonymous caller is told 401, whatever else is wrong with the request.
        return user(authorization).chain(user -> {
            InboxQuery query = InboxQuery.of(limit, before, status, archived);
            int pageSize = query.limit();
            return available(schema.migrated()
                    .chain(() -> store.page(user, query.before(), query.archived(), query.unreadOnly(), pageSize + 1))
                    .chain(items -> store.counts(user).map(counts -> {
                        List<InboxItem> page = items.size() > pageSize ? items.subList(0, pageSize) : items;
                        InboxItem last = page.isEmpty() ? null : page.get(page.size() - 1);
                        String next = items.size() > pageSize ? new InboxCursor(last.timestamp(), last.id()).toString() : null;
                        return new InboxPage(List.copyOf(page), next, counts.unread(), counts.unseen());
                    })));
        });
    }

    @GET
    @Path("counts")
    @Operation(summary = "The caller's unread and unseen counts", description = "Archived items count for neither.")
    @APIResponse(responseCode = "200", description = "The counts",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    public Uni<InboxCounts> counts(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        return user(authorization).chain(user -> available(schema.migrated().chain(() -> store.counts(user))));
    }

    @POST
    @Path("seen")
    @Operation(summary = "Mark items seen")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = InboxSelection.Body.class)))
    @APIResponse(responseCode = "200", description = "The caller's counts after the change",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    @APIResponse(responseCode = "400", description = SELECTION_PROBLEMS,
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxCounts> seen(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return change(authorization, body, InboxChange.SEEN);
    }

    @POST
    @Path("read")
    @Operation(summary = "Mark items read (and seen)")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = InboxSelection.Body.class)))
    @APIResponse(responseCode = "200", description = "The caller's counts after the change",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    @APIResponse(responseCode = "400", description = SELECTION_PROBLEMS,
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxCounts> read(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return change(authorization, body, InboxChange.READ);
    }

    @POST
    @Path("unread")
    @Operation(summary = "Mark items unread")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = InboxSelection.Body.class)))
    @APIResponse(responseCode = "200", description = "The caller's counts after the change",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    @APIResponse(responseCode = "400", description = SELECTION_PROBLEMS,
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxCounts> unread(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return change(authorization, body, InboxChange.UNREAD);
    }

    @POST
    @Path("archive")
    @Operation(summary = "Archive items", description = "Archived items are left out of lists (but with archived=true) and counts.")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = InboxSelection.Body.class)))
    @APIResponse(responseCode = "200", description = "The caller's counts after the change",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    @APIResponse(responseCode = "400", description = SELECTION_PROBLEMS,
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxCounts> archive(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return change(authorization, body, InboxChange.ARCHIVE);
    }

    @POST
    @Path("unarchive")
    @Operation(summary = "Unarchive items")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = InboxSelection.Body.class)))
    @APIResponse(responseCode = "200", description = "The caller's counts after the change",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InboxCounts.class)))
    @APIResponse(responseCode = "400", description = SELECTION_PROBLEMS,
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<InboxCounts> unarchive(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return change(authorization, body, InboxChange.UNARCHIVE);
    }

    /** Answers a refusal as its problem; a database that failed or did not answer as a 503 the client may retry. */
    @ServerExceptionMapper
    Response refused(InboxRefusal refusal) {
        Response.ResponseBuilder response = Response.fromResponse(Problem.response(refusal.code, refusal.getMessage()));
        if (refusal.code == ErrorCode.UNAUTHORIZED) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        if (refusal.code.status() == 503) {
            response.header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        return response.build();
    }

    private Uni<InboxCounts> change(String authorization, byte[] body, InboxChange change) {
        return user(authorization).chain(user -> {
            InboxSelection selection = InboxSelection.of(body, mapper);
            return available(schema.migrated()
                    .chain(() -> store.change(user, change, selection.ids()))
                    .chain(changed -> {
                        if (changed > 0) {
                            events.countsChanged(user);
                        }
                        return store.counts(user);
                    }));
        });
    }

    /** A database that failed, or did not answer within the inbox's timeout, is a 503 the client may retry. */
    private static <T> Uni<T> available(Uni<T> call) {
        return call.onFailure(failure -> !(failure instanceof InboxRefusal)).transform(failure -> {
            LOG.warnf("An inbox call failed: %s", failure.toString());
            return new InboxRefusal(ErrorCode.INBOX_UNAVAILABLE, "The inbox's database did not answer; retry later");
        });
    }

    /**
     * The caller, from the access token; fails as 401 (none, or not valid), 404 (inbox off) or 503. Every failure of
     * the database after it becomes a 503 too.
     */
    private Uni<String> user(String authorization) {
        if (!enabled) {
            return Uni.createFrom().failure(new InboxRefusal(ErrorCode.INBOX_OFF, "The inbox is off on this deployment"));
        }
        return tokens.identify(authorization)
                .onFailure(AccessTokens.TokenRefused.class).transform(refused ->
                        new InboxRefusal(ErrorCode.UNAUTHORIZED, "The access token was refused: " + refused.getMessage()))
                .onFailure(AccessTokens.KeysUnavailable.class).transform(unavailable ->
                        new InboxRefusal(ErrorCode.INBOX_UNAVAILABLE, "The identity provider's keys cannot be had; retry later"))
                .map(identity -> {
                    if (identity.isAnonymous()) {
                        throw new InboxRefusal(ErrorCode.UNAUTHORIZED, "The inbox needs the access token of a signed-in user "
                                + "(Authorization: Bearer <token>)");
                    }
                    return identity.user();
                });
    }
}
