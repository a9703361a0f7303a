package org.acme.notifications.page;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Browser;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The page as a person uses it, in headless Debian Chromium (Selenium, /usr/bin/chromedriver): two tabs, send in
 * one, both show it; markup is shown as text and runs nothing; a page that was away shows what it missed when it
 * comes back, and one whose last id the server has not reached yet resumes from it; two signed-in people each see
 * their own notifications, and a channel joined from the page.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class NotificationPageTest {

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
    void sendingInOneTabShowsInBoth() {
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            List<String> tabs = openTwoLiveTabs();

            String message = "Hello from tab two " + UUID.randomUUID();
            send(message);

            for (String tab : tabs) {
                driver.switchTo().window(tab);
                awaitShown(message);
            }
        }
    }

    @Test
    void markupInAMessageIsShownAsTextAndRunsNothing() {
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            List<String> tabs = openTwoLiveTabs();
            String attack = "<img src=x onerror=alert(1)> " + UUID.randomUUID();

            send(attack);

            for (String tab : tabs) {
                driver.switchTo().window(tab);
                WebElement shown = awaitShown(attack);
                assertThat(shown.getText(), equalTo(attack));
                assertThat(driver.findElements(By.cssSelector("#notifications img")), empty());
                assertThrows(NoAlertPresentException.class, () -> driver.switchTo().alert());
            }
        }
    }

    /** A notification's link is shown as a link that opens no window with access to the page, and leads where it says. */
    @Test
    void aLinkIsShownAsASafeLink() {
        String tab = openLiveTab();
        String message = "Your export is ready " + UUID.randomUUID();

        given().contentType(ContentType.JSON).body(Json.object("message", message, "link", "/exports/42"))
                .post("/api/notifications").then().statusCode(202);

        driver.switchTo().window(tab);
        WebElement item = awaitShown(message).findElement(By.xpath(".."));
        WebElement link = item.findElement(By.cssSelector("a.link"));
        assertThat(link.getAttribute("href"), equalTo(page.resolve("/exports/42").toString()));
        assertThat(link.getAttribute("rel"), equalTo("noopener noreferrer"));
    }

    @Test
    void aReloadedPageGetsWhatItMissed() {
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            openLiveTab();
            String seen = "seen before leaving " + UUID.randomUUID();
            send(seen);
            awaitShown(seen);

            driver.get("about:blank");
            String missed = "missed while away " + UUID.randomUUID();
            given().contentType(ContentType.JSON).body(Json.object("message", missed))
                    .post("/api/notifications").then().statusCode(202);
            observer.awaitNotification(missed);
            openLiveTab();

            awaitShown(missed);
            assertThat(driver.findElements(By.cssSelector("#notifications .message")).stream()
                    .map(WebElement::getText).filter(seen::equals).count(), equalTo(0L));
        }
    }

    /**
     * A page whose last id this server has not reached yet (the tab was on a replica that is further on) keeps
     * it: the server waits until it gets there, then the page is sent what follows, and only that.
     */
    @Test
    void aPageWhoseLastIdThisServerHasNotReachedResumesFromIt() {
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("before " + run);
            String[] last = observer.awaitNotification("before " + run).get("id").asText().split("-");
            String ahead = last[0] + "-" + (Long.parseLong(last[1]) + 2); // two records on, written by nobody yet
            openLiveTab();
            driver.executeScript("sessionStorage.setItem('notifications.position', arguments[0])", ahead);
            try {
                driver.navigate().refresh();
                List<String> sent = List.of("first " + run, "second " + run, "third " + run);
                sent.forEach(Pipeline::publish);

                awaitShown(sent.get(2));
                assertThat(driver.findElements(By.cssSelector("#notifications .message")).stream()
                        .map(WebElement::getText).filter(text -> text.endsWith(run)).toList(), equalTo(List.of(sent.get(2))));
            } finally {
                driver.executeScript("sessionStorage.removeItem('notifications.position')");
            }
        }
    }

    /**
     * Two people, each in a tab of their own, signed in with the dev sign-in: each sees the broadcasts and what is
     * addressed to them (marked as such), never the other's; one joins a channel from the page and gets its news.
     */
    @Test
    void twoUsersSeeTheirOwnNotificationsAndBroadcastsAndJoinAChannel() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String alice = "alice-" + run;
        String bob = "bob-" + run;
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            String aliceTab = signIn(openLiveTab(), alice);
            driver.switchTo().newWindow(WindowType.TAB);
            String bobTab = signIn(openLiveTab(), bob);

            Pipeline.publishJson(Json.object("message", "for alice " + run, "user", alice));
            Pipeline.publishJson(Json.object("message", "for bob " + run, "user", bob));
            Pipeline.publishJson(Json.object("message", "for everyone " + run));

            driver.switchTo().window(aliceTab);
            awaitShown("for everyone " + run);
            assertThat(awaitShown("for alice " + run).findElement(By.xpath("..")).getAttribute("class"), containsString("for-you"));
            assertThat(shownMessages(), not(hasItem("for bob " + run)));
            driver.switchTo().window(bobTab);
            awaitShown("for everyone " + run);
            awaitShown("for bob " + run);
            assertThat(shownMessages(), not(hasItem("for alice " + run)));

            driver.findElement(By.id("channel")).sendKeys("lobby-" + run);
            driver.findElement(By.cssSelector("#join button[type=submit]")).click();
            wait(driver).until(d -> !d.findElements(By.cssSelector("#channels li[data-channel='lobby-" + run + "']")).isEmpty());
            Pipeline.publishJson(Json.object("message", "lobby news " + run, "channel", "lobby-" + run));
            Pipeline.publishJson(Json.object("message", "after the news " + run));
            awaitShown("lobby news " + run);
            driver.switchTo().window(aliceTab);
            awaitShown("after the news " + run);
            assertThat(shownMessages(), not(hasItem("lobby news " + run)));
        } finally {
            for (String tab : driver.getWindowHandles()) {
                driver.switchTo().window(tab);
                driver.executeScript("sessionStorage.clear()");
            }
        }
    }

    /**
     * The inbox as a person meets it: a page opened after "Your export is ready" was sent shows it, with the bell at 1;
     * the count is live in two tabs of the same user; "Mark all read" in one clears the badge in both; a reload still
     * lists what was stored; opening an item marks it read and follows its link.
     */
    @Test
    void theInboxShowsWhatWasSentWhileAwayAndMarkAllReadClearsTheBellInEveryTab() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String user = "carol-" + run;
        try {
            Pipeline.publishJson(Json.object("message", "Your export is ready " + run, "user", user, "link", "/exports/" + run));
            String first = signIn(openLiveTab(), user);
            awaitInInbox("Your export is ready " + run);
            awaitBell("1");
            driver.switchTo().newWindow(WindowType.TAB);
            String second = signIn(openLiveTab(), user);
            awaitInInbox("Your export is ready " + run);

            Pipeline.publishJson(Json.object("message", "Build passed " + run, "user", user));
            awaitInInbox("Build passed " + run);
            awaitBell("2");
            driver.switchTo().window(first);
            awaitInInbox("Build passed " + run);
            awaitBell("2");

            driver.findElement(By.id("read-all")).click();
            awaitBell("0");
            driver.switchTo().window(second);
            awaitBell("0");

            driver.navigate().refresh();
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            awaitInInbox("Your export is ready " + run);
            awaitInInbox("Build passed " + run);
            assertThat(driver.findElements(By.cssSelector("#inbox-items li.unread")), empty());

            given().contentType(ContentType.JSON).body("{\"all\":true}").header("Authorization", "Bearer "
                    + driver.executeScript("return sessionStorage.getItem('notifications.token')")).post("/api/inbox/unread")
                    .then().statusCode(200);
            awaitBell("2");
            wait(driver).ignoring(StaleElementReferenceException.class).until(d -> {
                awaitInInbox("Your export is ready " + run).click();
                return true;
            });
            wait(driver).until(ExpectedConditions.urlContains("/exports/" + run));
            driver.switchTo().window(first);
            awaitBell("1");
        } finally {
            for (String tab : driver.getWindowHandles()) {
                driver.switchTo().window(tab);
                driver.executeScript("sessionStorage.clear()");
            }
        }
    }

    @Test
    void itemsBroughtInByLoadMoreStayWhenSomethingNewArrives() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String user = "dave-" + run;
        try {
            for (int i = 0; i < 25; i++) {
                Pipeline.publishJson(Json.object("message", "Report " + i + " " + run, "user", user));
            }
            signIn(openLiveTab(), user);
            awaitBell("25");
            awaitInInbox("Report 24 " + run);
            assertThat(driver.findElements(By.cssSelector("#inbox-items li")).size(), equalTo(20));

            driver.findElement(By.id("inbox-more")).click();
            awaitInInbox("Report 0 " + run);
            Pipeline.publishJson(Json.object("message", "Report 25 " + run, "user", user));
            awaitBell("26");
            awaitInInbox("Report 25 " + run);
            wait(driver).until(d -> d.findElements(By.cssSelector("#inbox-items li")).size() == 26);
            awaitInInbox("Report 0 " + run);
        } finally {
            driver.executeScript("sessionStorage.clear()");
        }
    }

    /** The list is redrawn whenever the counts change: an element found a moment ago may be gone, so look again. */
    private WebElement awaitInInbox(String message) {
        return wait(driver).ignoring(StaleElementReferenceException.class)
                .until(d -> d.findElements(By.cssSelector("#inbox-items .message")).stream()
                        .filter(e -> e.getText().equals(message)).findFirst().orElse(null));
    }

    private void awaitBell(String unread) {
        wait(driver).until(ExpectedConditions.textToBe(By.id("unread"), unread));
    }

    /**
     * A tab that reads the most channels a socket may (100), each with a name of the longest kind, still connects:
     * it asks for all of them again at every reconnect, and the upgrade request has room for that. Two of them are
     * not public: refused in one frame, both leave the tab's list.
     */
    @Test
    void aTabWithAHundredLongChannelNamesStillConnects() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> channels = java.util.stream.IntStream.range(0, 100)
                .mapToObj(i -> ((i < 2 ? "team-" : "lobby-") + run + "-" + i + "-" + "x".repeat(64)).substring(0, 64)).toList();
        openLiveTab();
        try {
            driver.executeScript("sessionStorage.setItem('notifications.channels', JSON.stringify(arguments[0]))", channels);
            driver.navigate().refresh();

            new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            wait(driver).until(d -> d.findElements(By.cssSelector("#channels li")).size() == 98);
            assertThat(driver.findElements(By.cssSelector("#channels li[data-channel^='team-']")), empty());
            Pipeline.publishJson(Json.object("message", "to the last channel " + run, "channel", channels.get(99)));
            awaitShown("to the last channel " + run);
        } finally {
            driver.executeScript("sessionStorage.clear()");
        }
    }

    /**
     * After a switch of identity, a frame that still arrives on the socket of the old identity is dropped: it is not
     * shown, and its id is not kept as the new identity's. Ids of one partition only ever move forward.
     */
    @Test
    void aFrameOnTheSocketOfAnIdentityLeftBehindChangesNothing() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String alice = "alice-" + run;
        Object recorder = driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", java.util.Map.of("source", """
                (() => {
                    const Native = window.WebSocket;
                    window.openedSockets = [];
                    window.WebSocket = function (url, protocols) {
                        const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
                        window.openedSockets.push(socket);
                        return socket;
                    };
                    window.WebSocket.prototype = Native.prototype;
                    Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
                })();"""));
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            signIn(openLiveTab(), alice);
            driver.findElement(By.id("sign-out")).click();
            wait(driver).until(ExpectedConditions.textToBe(By.id("who"), "anonymous"));
            wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
            String broadcast = "seen anonymously " + run;
            Pipeline.publish(broadcast);
            String seenId = observer.awaitNotification(broadcast).get("id").asText();
            awaitShown(broadcast);

            driver.executeScript("""
                    const sockets = window.openedSockets;
                    const frame = (id, message) => new MessageEvent('message', { data: JSON.stringify(
                        { id: id, message: message, user: arguments[0], timestamp: new Date().toISOString() }) });
                    sockets[sockets.length - 2].dispatchEvent(frame('0-999999999', 'late for alice ' + arguments[1]));
                    const older = { id: '0-0', message: 'older ' + arguments[1], timestamp: new Date().toISOString() };
                    sockets[sockets.length - 1].dispatchEvent(new MessageEvent('message', { data: JSON.stringify(older) }));
                    """, alice, run);
            String after = "after the switch " + run;
            Pipeline.publish(after);
            String afterId = observer.awaitNotification(after).get("id").asText();

            awaitShown(after);
            assertThat(shownMessages(), not(hasItem("late for alice " + run)));
            assertThat("an id delivered already is not shown again", shownMessages(), not(hasItem("older " + run)));
            assertThat(positionOf(afterId.split("-")[0]), equalTo(afterId));
        } finally {
            driver.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument",
                    java.util.Map.of("identifier", ((java.util.Map<?, ?>) recorder).get("identifier")));
            driver.executeScript("sessionStorage.clear()");
        }
    }

    /**
     * An {@code unknown-id} answer names the ids that can never be resumed from; the page forgets those and keeps
     * the rest (here: a partition the topic does not have, next to a real id).
     */
    @Test
    void anUnknownIdForgetsOnlyThePositionRefused() {
        try (SocketClient observer = SocketClient.connect(page)) {
            Pipeline.awaitReady(observer);
            openLiveTab();
            String seen = "seen " + UUID.randomUUID();
            send(seen);
            awaitShown(seen);
            String seenId = observer.awaitNotification(seen).get("id").asText();
            driver.executeScript("sessionStorage.setItem('notifications.position', arguments[0] + ',7-3')", seenId);
            try {
                driver.navigate().refresh();

                wait(driver).until(d -> positionOf("7") == null);
                assertThat(positionOf(seenId.split("-")[0]), equalTo(seenId));
            } finally {
                driver.executeScript("sessionStorage.removeItem('notifications.position')");
            }
        }
    }

    private String signIn(String tab, String user) {
        driver.findElement(By.id("user")).sendKeys(user);
        driver.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        wait(driver).until(ExpectedConditions.textToBe(By.id("who"), "signed in as " + user));
        wait(driver).until(ExpectedConditions.textToBe(By.id("state"), "live"));
        return tab;
    }

    /** The id the tab would resume from in that partition (anonymous), or null. */
    private String positionOf(String partition) {
        return (String) driver.executeScript("return (sessionStorage.getItem('notifications.position') || '').split(',')"
                + ".find(id => id.startsWith(arguments[0] + '-')) || null", partition);
    }

    private List<String> shownMessages() {
        return driver.findElements(By.cssSelector("#notifications .message")).stream().map(WebElement::getText).toList();
    }

    private List<String> openTwoLiveTabs() {
        String first = openLiveTab();
        driver.switchTo().newWindow(WindowType.TAB);
        return List.of(first, openLiveTab());
    }

    private String openLiveTab() {
        driver.get(page.toString());
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.textToBe(By.id("state"), "live"));
        return driver.getWindowHandle();
    }

    private void send(String message) {
        WebElement input = driver.findElement(By.id("message"));
        input.sendKeys(message);
        driver.findElement(By.cssSelector("#send button[type=submit]")).click();
    }

    private WebElement awaitShown(String message) {
        return wait(driver).until(d -> d.findElements(By.cssSelector("#notifications .message")).stream()
                .filter(e -> e.getText().equals(message)).findFirst().orElse(null));
    }

    private static WebDriverWait wait(WebDriver driver) {
        return new WebDriverWait(driver, SocketClient.DELIVERY_TIMEOUT);
    }
}
