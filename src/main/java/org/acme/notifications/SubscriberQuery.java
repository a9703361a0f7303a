package org.acme.notifications;

import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a subscriber asks for in the query of its socket's upgrade or its event stream: {@code ?since=<id>,<id>} (where
 * it left off, or null) and {@code ?channels=a,b} (as many parameters as it likes, comma-separated, blanks ignored).
 */
public record SubscriberQuery(String since, List<String> channels) {

    /** The query of the request (null for none); an {@link IllegalArgumentException} for one that cannot be read. */
    public static SubscriberQuery parse(String query) {
        Map<String, List<String>> parameters;
        try {
            parameters = query == null ? Map.of() : new QueryStringDecoder(query, false).parameters();
        } catch (IllegalArgumentException malformed) {
            // Netty's message quotes the whole query, which may carry an access token or an API key: not repeated.
            throw new IllegalArgumentException("a %-escape in it is malformed");
        }
        String since = parameters.containsKey("since") ? parameters.get("since").get(0) : null;
        List<String> channels = parameters.getOrDefault("channels", List.of()).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(String::strip)
                .filter(channel -> !channel.isEmpty())
                .toList();
        return new SubscriberQuery(since, channels);
    }
}
