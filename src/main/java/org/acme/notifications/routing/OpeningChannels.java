package org.acme.notifications.routing;

import org.acme.notifications.ErrorCode;
import org.acme.notifications.access.ChannelRules;
import org.acme.notifications.access.Refusal;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.ControlFrame;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The channels a socket asked for at connect, decided: those it reads, and the answers it is sent first. Each channel
 * it may read is answered {@code subscribed}; the refused ones are answered by one {@code error} frame per reason that
 * lists each of them once: a request line full of refusals is a few frames, not one per entry.
 */
record OpeningChannels(Set<String> channels, List<ControlFrame> answers) {

    static OpeningChannels decide(List<String> requested, SocketIdentity who, ChannelRules rules, int maxChannels) {
        Set<String> channels = new LinkedHashSet<>();
        List<ControlFrame> answers = new ArrayList<>();
        Map<ErrorCode, Refused> refused = new LinkedHashMap<>();
        for (String channel : requested) {
            Refusal refusal = rules.check(channel, who);
            if (refusal == null && channels.size() >= maxChannels && !channels.contains(channel)) {
                refusal = Refusal.tooManyChannels(maxChannels);
            }
            if (refusal != null) {
                Refusal first = refusal;
                refused.computeIfAbsent(refusal.code(), code -> new Refused(first)).channels.add(channel);
            } else if (channels.add(channel)) {
                answers.add(ControlFrame.subscribed(channel, null));
            }
        }
        refused.values().forEach(each -> answers.add(ControlFrame.refused(List.copyOf(each.channels), each.first)));
        return new OpeningChannels(channels, answers);
    }

    /** The channels refused for one reason, each once, and the first refusal (its detail). */
    private static final class Refused {
        final Refusal first;
        final Set<String> channels = new LinkedHashSet<>();

        Refused(Refusal first) {
            this.first = first;
        }
    }
}
