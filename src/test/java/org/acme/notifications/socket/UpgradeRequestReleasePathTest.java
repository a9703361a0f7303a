package org.acme.notifications.socket;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/** Which upgrades lose their deferred identity: the socket's path under any root path, with or without a trailing slash. */
class UpgradeRequestReleasePathTest {

    @ParameterizedTest(name = "root path {0}")
    @CsvSource({"/, /ws/notifications", "/api, /api/ws/notifications", "/api/, /api/ws/notifications", "api, /api/ws/notifications"})
    void theSocketPathIsUnderTheRootPath(String rootPath, String socketPath) {
        assertThat(UpgradeRequestRelease.socketPath(rootPath), equalTo(socketPath));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({"/ws/notifications, true", "/ws/notifications/, true", "/ws/notificationsx, false", "/ws/notifications/x, false",
            "/ws, false", "/api/ws/notifications, false"})
    void onlyTheSocketPathMatches(String path, boolean matches) {
        assertThat(UpgradeRequestRelease.isSocketPath(path, "/ws/notifications"), is(matches));
    }
}
