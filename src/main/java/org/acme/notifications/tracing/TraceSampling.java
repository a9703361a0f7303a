package org.acme.notifications.tracing;

import io.opentelemetry.sdk.trace.samplers.Sampler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * Trace context always travels (an incoming {@code traceparent} goes on into the Kafka record's
 * headers, the consumer and the broadcast), but spans are recorded, and so exported, only once an
 * OTLP endpoint is configured: without a collector there is nothing to send them to.
 */
@ApplicationScoped
public class TraceSampling {

    private static final Logger LOG = Logger.getLogger(TraceSampling.class);

    @Produces
    @Singleton
    Sampler sampler(@ConfigProperty(name = "quarkus.otel.exporter.otlp.endpoint") Optional<String> endpoint,
                    @ConfigProperty(name = "quarkus.otel.exporter.otlp.traces.endpoint") Optional<String> tracesEndpoint) {
        Optional<String> configured = tracesEndpoint.or(() -> endpoint).filter(url -> !url.isBlank());
        configured.ifPresent(url -> LOG.infof("Exporting traces to %s", url));
        return configured.isPresent() ? Sampler.parentBased(Sampler.alwaysOn()) : Sampler.alwaysOff();
    }
}
