package org.acme.notifications.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The service's Prometheus metrics ({@code /q/metrics}), read as a scraper reads them. */
public final class Metrics {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) ([0-9.eE+-]+|NaN)(?: .*)?$", Pattern.MULTILINE);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Metrics() {
    }

    /** Every sample, by its name and labels as written ({@code notifications_dropped_total{reason="slow"}}); exemplars dropped. */
    public static Map<String, Double> parse(String prometheusText) {
        Map<String, Double> samples = new HashMap<>();
        for (Matcher m = SAMPLE.matcher(prometheusText); m.find(); ) {
            samples.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return samples;
    }

    /**
     * Whether every record the service read is either dead-lettered or a notification whose writes were timed: a socket
     * may parse a frame a moment before its event loop has finished the batch and timed it.
     */
    public static boolean everyReadNotificationTimed(Map<String, Double> samples) {
        return samples.getOrDefault("notifications_delivery_latency_seconds_count", 0.0)
                == samples.getOrDefault("notifications_consume_lag_seconds_count", 0.0)
                - samples.getOrDefault("notifications_dead_lettered_total", 0.0);
    }

    /** Scrapes the service at {@code baseUri}. */
    public static Map<String, Double> scrape(URI baseUri) {
        try {
            return parse(HTTP.send(HttpRequest.newBuilder(baseUri.resolve("/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One sample of the service at {@code baseUri}; fails when the service does not expose it. */
    public static double value(URI baseUri, String sample) {
        Double value = scrape(baseUri).get(sample);
        if (value == null) {
            throw new AssertionError(sample + " is not exposed");
        }
        return value;
    }
}
