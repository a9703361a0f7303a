package org.acme.notifications.testsupport;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.acme.notifications.NotificationsConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The service's settings without Quarkus, for unit tests: the mapping's defaults, with some set as a test needs them. */
public final class Settings {

    private Settings() {
    }

    /** {@code Settings.of("notifications.history.max-age", "1h")}. */
    public static NotificationsConfig of(String... namesAndValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            values.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return new SmallRyeConfigBuilder()
                .withMapping(NotificationsConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(values, "test", 500))
                .build()
                .getConfigMapping(NotificationsConfig.class);
    }
}
