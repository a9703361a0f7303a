package org.acme.notifications.packaged;

import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Browser;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The page, through the client library, while the service is stopped (SIGTERM) and started again mid-stream: one tab
 * on the WebSocket, one on the event stream (?transport=sse). Notifications published before, while it is down
 * (straight to Kafka) and after all reach both tabs, in order, each once.
 */
class PageAcrossRestartIT {

    private static final KafkaBrokerProcess BROKER = KafkaBrokerProcess.fresh("kafka-page-restart-it");
    private static ChromeDriver driver;

    @BeforeAll
    static void start() {
        BROKER.start();
        driver = Browser.start();
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        BROKER.stop();
    }

    @Test
    void bothTransportsResumeAcrossARestartWithNothingLostAndNothingTwice() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> sent = new ArrayList<>();
        try (ServiceProcess service = new ServiceProcess(BROKER.bootstrapServers(), "page-restart").start()) {
            driver.get(service.baseUri().toString());
            String socketTab = awaitLive("websocket");
            driver.switchTo().newWindow(WindowType.TAB);
            driver.get(service.baseUri() + "?transport=sse");
            String streamTab = awaitLive("sse");

            publish(service, "before", run, sent);
            awaitShownInBoth(List.of(socketTab, streamTab), sent, run);

            service.terminate();
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(BROKER.bootstrapServers(), Map.of())) {
                IntStream.range(0, 10).mapToObj(i -> "while down " + i + " " + run).forEach(message -> {
                    sent.add(message);
                    producer.send(KafkaClients.textRecord(message));
                });
            }
            service.start();
            publish(service, "after", run, sent);

            awaitShownInBoth(List.of(socketTab, streamTab), sent, run);
        }
    }

    private static void publish(ServiceProcess service, String when, String run, List<String> sent) {
        for (int i = 0; i < 10; i++) {
            String message = when + " " + i + " " + run;
            assertThat(service.publish(message).statusCode(), equalTo(202));
            sent.add(message);
        }
    }

    /** Each tab shows exactly what was sent, in order, once (the page shows the newest first). */
    private static void awaitShownInBoth(List<String> tabs, List<String> sent, String run) {
        for (String tab : tabs) {
            driver.switchTo().window(tab);
            String last = sent.get(sent.size() - 1);
            new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> shown(run).contains(last));
            List<String> shown = new ArrayList<>(shown(run));
            Collections.reverse(shown);
            assertThat("tab on " + driver.findElement(By.id("state")).getAttribute("data-transport"), shown, equalTo(sent));
        }
    }

    private static List<String> shown(String run) {
        return driver.findElements(By.cssSelector("#notifications .message")).stream()
                .map(WebElement::getText).filter(text -> text.endsWith(run)).toList();
    }

    private static String awaitLive(String transport) {
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.textToBe(By.id("state"), "live"));
        assertThat(driver.findElement(By.id("state")).getAttribute("data-transport"), equalTo(transport));
        return driver.getWindowHandle();
    }
}
