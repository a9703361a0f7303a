package org.acme.notifications.access;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.acme.notifications.ErrorCode;
import org.acme.notifications.NotificationsConfig;
import org.acme.notifications.Target;

import java.util.List;
import java.util.Map;

/**
 * Who may subscribe to which channel ({@code notifications.channels.*}): public channels for anyone, signed-in
 * channels for any valid token, group channels for tokens with that group. A name matches a rule exactly, or by
 * prefix when the rule ends in {@code *}. A channel no rule names is refused: nothing is readable by accident.
 */
@ApplicationScoped
public class ChannelRules {

    private final List<String> publicChannels;
    private final List<String> signedInChannels;
    private final Map<String, List<String>> groupChannels;

    @Inject
    public ChannelRules(NotificationsConfig config) {
        this(config.channels().publicChannels().orElse(List.of()), config.channels().signedIn().orElse(List.of()),
                config.channels().groups());
    }

    ChannelRules(List<String> publicChannels, List<String> signedInChannels, Map<String, List<String>> groupChannels) {
        this.publicChannels = List.copyOf(publicChannels);
        this.signedInChannels = List.copyOf(signedInChannels);
        this.groupChannels = Map.copyOf(groupChannels);
    }

    /** Null when {@code who} may subscribe to {@code channel}; else why not. Checked on every subscribe. */
    public Refusal check(String channel, SocketIdentity who) {
        if (channel == null || !Target.CHANNEL_NAME.matcher(channel).matches()) {
            return new Refusal(ErrorCode.INVALID_CHANNEL, "A channel name is 1-64 characters of A-Z a-z 0-9 _ - . :");
        }
        if (matches(publicChannels, channel)) {
            return null;
        }
        if (!who.isAnonymous() && matches(signedInChannels, channel)) {
            return null;
        }
        boolean inGroup = groupChannels.entrySet().stream()
                .anyMatch(rule -> who.groups().contains(rule.getKey()) && matches(rule.getValue(), channel));
        if (inGroup) {
            return null;
        }
        return new Refusal(ErrorCode.FORBIDDEN_CHANNEL, who.isAnonymous()
                ? "Channel '" + channel + "' is not public: connect with an access token that may read it"
                : "This access token may not read channel '" + channel + "'");
    }

    private static boolean matches(List<String> rules, String channel) {
        for (String rule : rules) {
            String name = rule.strip();
            if (name.endsWith("*") ? channel.startsWith(name.substring(0, name.length() - 1)) : name.equals(channel)) {
                return true;
            }
        }
        return false;
    }
}
