package org.acme.notifications.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Browsers cannot set headers on a WebSocket, so a socket's API key may come as {@code ?api-key=}: its value
 * is replaced in every span's URL attributes as the span starts, before anything can export it.
 */
@ApplicationScoped
public class SecretRedaction implements SpanProcessor {

    static final String REDACTED = "REDACTED";
    // The name as sent, or percent-encoded (Vert.x decodes names too, so api%2Dkey= is a key as well).
    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i)((?:^|[?&;])api(?:-|%2d)key=)[^&#;]*");
    private static final List<AttributeKey<String>> URL_ATTRIBUTES = List.of(
            AttributeKey.stringKey("url.query"), AttributeKey.stringKey("url.full"),
            AttributeKey.stringKey("http.target"), AttributeKey.stringKey("http.url"));

    static String redact(String url) {
        return SECRET_PARAMETER.matcher(url).replaceAll("$1" + REDACTED);
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
