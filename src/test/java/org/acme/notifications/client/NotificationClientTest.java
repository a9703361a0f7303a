package org.acme.notifications.client;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
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
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

/**
 * The client library (/notifications-client.js) in headless Chromium against the real service: behind a proxy that
 * refuses WebSockets it falls back to the event stream and delivers; a token that expires is renewed through
 * {@code getToken} and delivery goes on; a page of another site uses it where that site is allowed and is refused
 * where it is not. Restarts mid-stream are {@code PageAcrossRestartIT}'s.
 */
@QuarkusTest
@TestProfile(NotificationClientTest.AnotherSiteAllowed.class)
@WithTestResource(KafkaBrokerResource.class)
class NotificationClientTest {

    /** The one other site allowed: its port is taken now, so that the service can be told before it starts. */
    public static class AnotherSiteAllowed implements QuarkusTestProfile {
        static final int ALLOWED_PORT = freePort();

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.socket.allowed-origins", "http://127.0.0.1:" + ALLOWED_PORT);
        }
    }

    private static ChromeDriver driver;

    @TestHTTPResource("/")
    URI service;

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
    void behindAProxyThatRefusesWebSocketsThePageReadsTheEventStream() throws IOException {
        try (SocketClient observer = SocketClient.connect(service); WebSocketRefusingProxy proxy = new WebSocketRefusingProxy(service)) {
            Pipeline.awaitReady(observer);
            driver.get(proxy.uri().toString());
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            assertThat(driver.findElement(By.id("state")).getAttribute("data-transport"), equalTo("sse"));

            String run = UUID.randomUUID().toString();
            Pipeline.publish("through the stream " + run);
            awaitShown("through the stream " + run);

            // subscribe() on a stream opens it again with the channel, from where it was: answered, then delivered.
            driver.findElement(By.id("channel")).sendKeys("news");
            driver.findElement(By.cssSelector("#join button[type=submit]")).click();
            wait(driver).until(d -> !d.findElements(By.cssSelector("#channels li[data-channel='news']")).isEmpty());
            Pipeline.publishJson(Json.object("message", "news " + run, "channel", "news"));
            awaitShown("news " + run);
            assertThat("nothing is shown twice when the stream is opened again", shownMessages().stream()
                    .filter(message -> message.equals("through the stream " + run)).count(), equalTo(1L));
        } finally {
            driver.executeScript("sessionStorage.clear()");
        }
    }

    @Test
    void anExpiredTokenIsRenewedThroughGetTokenAndDeliveryGoesOn() {
        String user = "carol-" + UUID.randomUUID().toString().substring(0, 8);
        String shortLived = TestTokens.sign(TestTokens.claims(user).expiresAt(Instant.now().plusSeconds(4)));
        try (SocketClient observer = SocketClient.connect(service)) {
            Pipeline.awaitReady(observer);
            driver.get("about:blank"); // a page at the service's address would only move to the fragment, not load again
            driver.get(service + "#access-token=" + shortLived);
            wait(driver).until(ExpectedConditions.textToBe(By.id("who"), "signed in as " + user));
            Pipeline.publishJson(Json.object("message", "before the expiry " + user, "user", user));
            awaitShown("before the expiry " + user);

            // At exp the server ends the connection (4001); the library asks getToken, which the page renews.
            wait(driver).until(d -> !shortLived.equals(token()));
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            Pipeline.publishJson(Json.object("message", "after the expiry " + user, "user", user));

            awaitShown("after the expiry " + user);
            assertThat(driver.findElement(By.id("who")).getText(), equalTo("signed in as " + user));
            assertThat(shownMessages().stream().filter(("before the expiry " + user)::equals).count(), equalTo(1L));
        } finally {
            driver.executeScript("sessionStorage.clear()");
        }
    }

    @Test
    void offlineThePageLetsGoOfItsConnectionAndOnlineItResumes() {
        String run = UUID.randomUUID().toString();
        try (SocketClient observer = SocketClient.connect(service)) {
            Pipeline.awaitReady(observer);
            driver.get(service.toString());
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            Pipeline.publish("online " + run);
            awaitShown("online " + run);

            network(true); // the browser's own offline: navigator.onLine false, and the offline event
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "offline"));
            Pipeline.publish("while offline " + run);
            observer.awaitNotification("while offline " + run);
            assertThat(shownMessages(), not(hasItem("while offline " + run)));

            network(false);
            awaitShown("while offline " + run);
            assertThat(driver.findElement(By.id("state")).getText(), equalTo("live"));
            assertThat(shownMessages().stream().filter(("online " + run)::equals).count(), equalTo(1L));
        } finally {
            network(false);
            driver.executeScript("sessionStorage.clear()");
        }
    }

    @Test
    void aPageOfAnAllowedSiteUsesTheLibraryAndAPageOfAnotherIsRefused() throws IOException {
        String user = "dave-" + UUID.randomUUID().toString().substring(0, 8);
        HttpServer allowed = siteServing(AnotherSiteAllowed.ALLOWED_PORT);
        HttpServer other = siteServing(freePort());
        try (SocketClient observer = SocketClient.connect(service)) {
            Pipeline.awaitReady(observer);
            String allowedTab = openSitePage(allowed, user);
            driver.switchTo().newWindow(WindowType.TAB);
            String otherTab = openSitePage(other, user);

            driver.switchTo().window(allowedTab);
            wait(driver).until(d -> statuses().contains("live"));
            String run = UUID.randomUUID().toString();
            Pipeline.publish("to every site " + run);
            wait(driver).until(d -> received().contains("to every site " + run));
            wait(driver).until(d -> script("return window.site.counts") != null);
            assertThat(script("return window.site.counts.unread"), equalTo(0L));
            script("window.site.publish()"); // once live: a stream opened without a position starts from now
            wait(driver).until(d -> script("return window.site.published") != null);
            assertThat((String) script("return window.site.published"), startsWith("0-"));
            wait(driver).until(d -> received().contains("published from the site " + user));

            driver.switchTo().window(otherTab);
            wait(driver).until(d -> script("return window.site.countsError") != null);
            script("window.site.publish()");
            wait(driver).until(d -> script("return window.site.publishError") != null);
            assertThat(received(), not(hasItem("to every site " + run)));
            assertThat(statuses(), not(hasItem("live")));
            driver.close();
            driver.switchTo().window(allowedTab);
        } finally {
            allowed.stop(0);
            other.stop(0);
        }

        // What the browser was told, seen from a program: the allowed site's preflight passes, the other's is refused.
        given().header("Origin", "http://127.0.0.1:" + AnotherSiteAllowed.ALLOWED_PORT).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .options("/api/inbox/read").then().statusCode(204)
                .header("Access-Control-Allow-Origin", "http://127.0.0.1:" + AnotherSiteAllowed.ALLOWED_PORT);
        given().header("Origin", "http://127.0.0.1:1").header("Access-Control-Request-Method", "GET")
                .options("/sse/notifications").then().statusCode(403).contentType("application/problem+json")
                .header("Access-Control-Allow-Origin", nullValue());
        given().header("Origin", "http://127.0.0.1:1").contentType(ContentType.JSON).body(Json.object("message", "refused"))
                .post("/api/notifications").then().statusCode(403);
    }

    /**
     * A site of its own on 127.0.0.1 (another origin than the service's localhost): a page that imports the library
     * from the service, reads the stream as ?user=&token= says, asks the inbox's counts, and publishes when the test asks.
     */
    private HttpServer siteServing(int port) throws IOException {
        String page = """
                <!DOCTYPE html><html><body><script type="module">
                import { connect } from '%1$snotifications-client.js';
                const query = new URLSearchParams(location.search);
                const site = window.site = { received: [], statuses: [] };
                const client = connect({ url: '%1$s', transport: 'sse', getToken: () => query.get('token'),
                    onNotification: (n) => site.received.push(n.message), onStatus: (s) => site.statuses.push(s) });
                client.inbox.counts().then((c) => { site.counts = c; }, (e) => { site.countsError = String(e); });
                site.publish = () => client.publish({ message: 'published from the site ' + query.get('user') })
                    .then((n) => { site.published = n.id; }, (e) => { site.publishError = String(e); });
                </script></body></html>
                """.formatted(service.toString());
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", exchange -> {
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private String openSitePage(HttpServer site, String user) {
        driver.get("http://127.0.0.1:" + site.getAddress().getPort() + "/?user=" + user + "&token=" + TestTokens.token(user));
        wait(driver).until(d -> script("return window.site") != null);
        return driver.getWindowHandle();
    }

    private static void network(boolean offline) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions",
                Map.of("offline", offline, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }

    private static Object script(String script) {
        return driver.executeScript(script);
    }

    @SuppressWarnings("unchecked")
    private static List<String> received() {
        return (List<String>) script("return window.site.received");
    }

    @SuppressWarnings("unchecked")
    private static List<String> statuses() {
        return (List<String>) script("return window.site.statuses");
    }

    private static String token() {
        return (String) script("return sessionStorage.getItem('notifications.token')");
    }

    private static List<String> shownMessages() {
        return driver.findElements(By.cssSelector("#notifications .message")).stream().map(WebElement::getText).toList();
    }

    private static WebElement awaitShown(String message) {
        return wait(driver).until(d -> d.findElements(By.cssSelector("#notifications .message")).stream()
                .filter(e -> e.getText().equals(message)).findFirst().orElse(null));
    }

    private static WebDriverWait wait(WebDriver driver) {
        return new WebDriverWait(driver, SocketClient.DELIVERY_TIMEOUT);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
