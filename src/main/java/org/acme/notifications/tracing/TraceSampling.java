package org.acme.notifications.tracing;

import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.stream.Stream;

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
    Sampler sampler(Config config) {
        // Quarkus gives the endpoints a default (localhost:4317); only a value someone set counts.
        Optional<String> configured = Stream.of("quarkus.otel.exporter.otlp.traces.endpoint", "quarkus.otel.exporter.otlp.endpoint")
                .map(name -> config.unwrap(SmallRyeConfig.class).getConfigValue(name))
                .filter(value -> value.getValue() != null && !value.getValue().isBlank() && value.getSourceOrdinal() > 0)
                .map(ConfigValue::getValue)
                .findFirst();
        configured.ifPresent(url -> LOG.infof("Exporting traces to %s", url));
        return configured.isPresent() ? Sampler.parentBased(Sampler.alwaysOn()) : Sampler.alwaysOff();
    }
}
