package org.acme.notifications.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Browsers cannot set headers on a WebSocket or an {@code EventSource}, so a socket's API key may come as
 * {@code ?api-key=} and an event stream's access token as {@code ?access_token=}: their values are replaced in every
 * span's URL attributes as the span starts, before anything can export it. Parameter names are
 * compared as the server reads them, decoded: Vert.x decodes any percent-escape in a name, so {@code %61pi-key} is
 * the key too.
 */
@ApplicationScoped
public class SecretRedaction implements SpanProcessor {

    static final String REDACTED = "REDACTED";
    private static final Set<String> SECRET_PARAMETERS = Set.of("api-key", "access_token");
    // One name=value of a query (after ?, & or ;, up to the next of them or #).
    private static final Pattern PARAMETER = Pattern.compile("(^|[?&;])([^=&#;?]*)=([^&#;]*)");
    private static final List<AttributeKey<String>> URL_ATTRIBUTES = List.of(
            AttributeKey.stringKey("url.query"), AttributeKey.stringKey("url.full"),
            AttributeKey.stringKey("http.target"), AttributeKey.stringKey("http.url"));

    static String redact(String url) {
        Matcher parameter = PARAMETER.matcher(url);
        StringBuilder redacted = new StringBuilder();
        while (parameter.find()) {
            String value = isSecret(parameter.group(2)) ? REDACTED : parameter.group(3);
            parameter.appendReplacement(redacted, Matcher.quoteReplacement(parameter.group(1) + parameter.group(2) + "=" + value));
        }
        parameter.appendTail(redacted);
        return redacted.toString();
    }

    private static boolean isSecret(String name) {
        String decoded;
        try {
            decoded = URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return true; // a name the server cannot read either: redacting it costs nothing
        }
        return SECRET_PARAMETERS.contains(decoded.toLowerCase(Locale.ROOT));
    }

    @Override
    public void onStart(Context parent, ReadWriteSpan span) {
        for (AttributeKey<String> key : URL_ATTRIBUTES) {
            String value = span.getAttribute(key);
            if (value != null) {
                String redacted = redact(value);
                if (!redacted.equals(value)) {
                    span.setAttribute(key, redacted);
                }
            }
        }
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
    }

    @Override
    public boolean isEndRequired() {
        return false;
    }
}
