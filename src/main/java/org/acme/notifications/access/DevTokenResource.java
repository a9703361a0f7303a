package org.acme.notifications.access;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.jwt.build.Jwt;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.acme.notifications.NotificationRequestParser;
import org.acme.notifications.Target;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Dev mode's stand-in for an identity provider: {@code GET /dev/token?user=alice&groups=ops} signs an access token
 * for any name with the dev key (in dev mode, smallrye-jwt's in-memory key pair). Built into dev and test builds only:
 * the production build has no such class, and the path answers 404.
 */
@IfBuildProfile(anyOf = {"dev", "test"})
@Path("/dev/token")
public class DevTokenResource {

    static final Duration LIFETIME = Duration.ofHours(1);

    private final String issuer;
    private final String audience;

    public DevTokenResource(@ConfigProperty(name = "mp.jwt.verify.issuer") String issuer,
                            @ConfigProperty(name = "mp.jwt.verify.audiences") List<String> audiences) {
        this.issuer = issuer;
        this.audience = audiences.get(0);
    }

    /** A token as a subscriber would get it from the identity provider. */
    public record DevToken(String token, String user, Set<String> groups, Instant expiresAt) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public DevToken token(@QueryParam("user") String user, @QueryParam("groups") String groups) {
        if (user == null || user.isBlank()) {
            throw new BadRequestException("?user=<name> names who the token is for");
        }
        NotificationRequestParser.validateTarget(new Target(user, null));
        Set<String> groupSet = groups == null ? Set.of() : Arrays.stream(groups.split(","))
                .map(String::strip).filter(group -> !group.isEmpty()).collect(Collectors.toSet());
        Instant expiresAt = Instant.now().plus(LIFETIME);
        String token = Jwt.issuer(issuer).audience(audience).subject(user).upn(user).groups(groupSet)
                .expiresAt(expiresAt).sign();
        return new DevToken(token, user, groupSet, expiresAt);
    }
}
