package org.acme.notifications.sse;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Browser;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.acme.notifications.testsupport.WebSocketRefusingProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The stream as a browser reads it, with its own {@code EventSource} in headless Chromium: a signed-in page gets its
 * user's notifications and broadcasts, never another user's, each with the stream's position as its
 * {@code lastEventId}; a page that comes back with that position gets what it missed, once, then {@code resumed}; and
 * an {@code EventSource} whose connection is cut reconnects by itself with {@code Last-Event-ID} and gets what it
 * missed meanwhile, once and in order, and nothing of a user's.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class EventSourceTest {

    private static ChromeDriver driver;

    @TestHTTPResource("/")
    URI page;

    @BeforeAll
    static void startBrowser() {
        driver = Browser.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    @Test
    void aPageGetsItsUsersNotificationsAndResumesFromTheLastEventId() {
        try (SocketClient watcher = SocketClient.connect(page)) {
            Pipeline.awaitReady(watcher);
        }
        String run = UUID.randomUUID().toString();
        String alice = "alice-" + run;
        driver.get(page.resolve("/q/health/live").toString()); // any page of the service's origin
        listen("/sse/notifications?access_token=" + TestTokens.token(alice));

        Pipeline.publishJson(Json.object("message", "for bob " + run, "user", "bob-" + run));
        Pipeline.publishJson(Json.object("message", "for alice " + run, "user", alice));
        Pipeline.publish("for everyone " + run);
        List<Map<String, Object>> live = awaitReceived("for everyone " + run);

        assertThat(messages(live, run), equalTo(List.of("for alice " + run, "for everyone " + run)));
        String lastEventId = (String) live.get(live.size() - 1).get("id");
        assertThat(lastEventId, equalTo(Json.parse((String) live.get(live.size() - 1).get("data")).path("id").asText()));

        driver.executeScript("window.source.close()");
        Pipeline.publishJson(Json.object("message", "missed by alice " + run, "user", alice));
        Pipeline.publish("missed by everyone " + run);
        try (SocketClient watcher = SocketClient.connect(page)) {
            Pipeline.publish("after " + run);
            watcher.awaitNotification("after " + run);
        }
        listen("/sse/notifications?since=" + lastEventId + "&access_token=" + TestTokens.token(alice));
        List<Map<String, Object>> resumed = awaitReceived("after " + run);

        assertThat(messages(resumed, run), equalTo(List.of("missed by alice " + run, "missed by everyone " + run, "after " + run)));
        assertThat(resumed.stream().filter(event -> "resumed".equals(event.get("event"))).count(), equalTo(1L));
    }

    @Test
    void anEventSourceWhoseConnectionIsCutResumesByItselfWithTheLastEventId() throws IOException {
        String run = UUID.randomUUID().toString();
        try (WebSocketRefusingProxy network = new WebSocketRefusingProxy(page); SocketClient watcher = SocketClient.connect(page)) {
            Pipeline.awaitReady(watcher);
            driver.get(network.uri().resolve("/q/health/live").toString());
            listen("/sse/notifications"); // no ?since=: only the browser's own Last-Event-ID can resume it
            Pipeline.publish("before the cut " + run);
            awaitReceived("before the cut " + run);

            network.cut();
            for (int i = 1; i <= 3; i++) {
                Pipeline.publish("missed " + i + " " + run);
            }
            Pipeline.publishJson(Json.object("message", "for bob " + run, "user", "bob-" + run));
            watcher.awaitNotification("missed 3 " + run); // all of it in the history before the browser is back
            network.reconnect();

            List<Map<String, Object>> received = awaitReceived("missed 3 " + run);
            assertThat(messages(received, run), equalTo(List.of("before the cut " + run, "missed 1 " + run, "missed 2 " + run, "missed 3 " + run)));
            assertThat("the reconnect resumed (the browser sent Last-Event-ID)",
                    received.stream().filter(event -> "resumed".equals(event.get("event"))).count(), equalTo(1L));
        } finally {
            driver.executeScript("window.source.close()");
        }
    }

    /** A new EventSource on {@code path}, once open; each event it gets is recorded in {@code window.received}. */
    private void listen(String path) {
        driver.executeScript("""
                window.received = [];
                window.source = new EventSource(arguments[0]);
                const record = function (e) {
                    window.received.push({ event: e.type, id: e.lastEventId, data: e.data });
                };
                window.source.onmessage = record;
                window.source.addEventListener('resumed', record);
                """, path);
        // Open (its response began) before anything is published: a stream without a position starts from now.
        new WebDriverWait(driver, SocketClient.DELIVERY_TIMEOUT).pollingEvery(Duration.ofMillis(50))
                .until(d -> Long.valueOf(1).equals(driver.executeScript("return window.source.readyState")));
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> awaitReceived(String message) {
        new WebDriverWait(driver, SocketClient.DELIVERY_TIMEOUT).pollingEvery(Duration.ofMillis(100))
                .until(d -> ((List<Map<String, Object>>) driver.executeScript("return window.received")).stream()
                        .anyMatch(event -> String.valueOf(event.get("data")).contains("\"" + message + "\"")));
        return (List<Map<String, Object>>) driver.executeScript("return window.received");
    }

    private static List<String> messages(List<Map<String, Object>> events, String run) {
        return events.stream().filter(event -> "message".equals(event.get("event")))
                .map(event -> Json.parse((String) event.get("data")).path("message").asText())
                .filter(message -> message.contains(run)).toList();
    }
}
