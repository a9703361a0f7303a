package org.acme.notifications.access;

import org.acme.notifications.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Who may read which channel, on its own: public, signed-in and group rules, exact names and prefixes. */
class ChannelRulesTest {

    private final ChannelRules rules = new ChannelRules(List.of("news", "status-*"), List.of("team-*"),
            Map.of("ops", List.of("ops", "incident-*")));

    private static final SocketIdentity ANONYMOUS = SocketIdentity.ANONYMOUS;
    private static final SocketIdentity ALICE = new SocketIdentity("alice", Set.of(), null);
    private static final SocketIdentity OPERATOR = new SocketIdentity("olga", Set.of("ops"), null);

    @Test
    void publicChannelsAreForAnyoneByNameOrPrefix() {
        assertNull(rules.check("news", ANONYMOUS));
        assertNull(rules.check("status-eu", ANONYMOUS));
        assertEquals(ErrorCode.FORBIDDEN_CHANNEL, rules.check("newsroom", ANONYMOUS).code());
    }

    @Test
    void signedInChannelsNeedAToken() {
        assertEquals(ErrorCode.FORBIDDEN_CHANNEL, rules.check("team-a", ANONYMOUS).code());
        assertNull(rules.check("team-a", ALICE));
    }

    @Test
    void groupChannelsNeedTheGroup() {
        assertEquals(ErrorCode.FORBIDDEN_CHANNEL, rules.check("incident-7", ALICE).code());
        assertNull(rules.check("incident-7", OPERATOR));
        assertNull(rules.check("ops", OPERATOR));
    }

    @Test
    void aChannelNoRuleNamesIsRefusedAndABadNameIsInvalid() {
        assertEquals(ErrorCode.FORBIDDEN_CHANNEL, rules.check("secret", OPERATOR).code());
        assertEquals(ErrorCode.INVALID_CHANNEL, rules.check("no spaces", OPERATOR).code());
        assertEquals(ErrorCode.INVALID_CHANNEL, rules.check(null, OPERATOR).code());
    }
}
