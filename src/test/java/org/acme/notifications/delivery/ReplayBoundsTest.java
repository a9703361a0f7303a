package org.acme.notifications.delivery;

import io.netty.util.internal.PlatformDependent;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.lessThan;

/**
 * Replays are bounded per socket and written outside the broadcaster's lock: 200 sockets that resume
 * from the oldest of 5,000 notifications of 1 KB (5 MB each, 1 GB in all) and never read leave the
 * service's memory (heap after a full GC, plus direct buffers) within 64 MB of where it was, and a
 * healthy socket meanwhile gets every new notification within 2 s.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class ReplayBoundsTest {

    private static final int STALLED = 200;
    private static final long MEMORY_BOUND = 64L * 1024 * 1024;

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void stalledReplaysStayBoundedAndOthersKeepUp() {
        List<StalledSocket> stalled = new ArrayList<>();
        try (SocketClient healthy = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(healthy);
            String run = UUID.randomUUID().toString();
            String padding = "x".repeat(1000);
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
                for (int i = 0; i < 5000; i++) {
                    producer.send(KafkaClients.textRecord(i + " " + run + " " + padding));
                }
            }
            await("5,000 notifications at the healthy socket").atMost(Duration.ofSeconds(60))
                    .until(() -> healthy.notification("4999 " + run + " " + padding).isPresent());
            String oldest = healthy.notification("0 " + run + " " + padding).orElseThrow().get("id").asText();

            long before = usedMemory();
            for (int i = 0; i < STALLED; i++) {
                stalled.add(StalledSocket.open(baseUri, "?since=" + oldest));
            }
            for (int i = 0; i < 20; i++) {
                String probe = "probe " + i + " " + run;
                given().contentType(ContentType.JSON).body("{\"message\":\"" + probe + "\"}")
                        .post("/api/notifications").then().statusCode(202);
                await(probe + " at the healthy socket").atMost(Duration.ofSeconds(2))
                        .until(() -> healthy.notification(probe).isPresent());
            }
            long grown = usedMemory() - before;
            assertThat("memory grown by " + grown / 1024 / 1024 + " MB with " + STALLED + " stalled replays",
                    grown, lessThan(MEMORY_BOUND));
        } finally {
            stalled.forEach(StalledSocket::close);
        }
    }

    /** Heap after a full collection, plus direct buffers (the JDK's and Netty's own). */
    private static long usedMemory() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return heap + direct + Math.max(0, PlatformDependent.usedDirectMemory());
    }
}
