package org.acme.notifications.access;

import java.time.Instant;
import java.util.Set;

/**
 * Who opened a socket, from its access token: the token's subject and groups, and when it expires. Anonymous
 * sockets have no user and no groups.
 */
public record SocketIdentity(String user, Set<String> groups, Instant expiresAt) {

    public static final SocketIdentity ANONYMOUS = new SocketIdentity(null, Set.of(), null);

    public boolean isAnonymous() {
        return user == null;
    }
}
