package org.acme.notifications.history;

import io.netty.util.internal.PlatformDependent;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.StalledSocket;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;

/**
 * Replays are bounded per socket and written outside the broadcaster's lock: 200 sockets that resume
 * from the oldest of 5,000 notifications of 1 KB (5 MB each, 1 GB in all) and never read leave the
 * service's memory (heap after a full GC, plus direct buffers) within 64 MB of where it was, a healthy
 * socket meanwhile gets every new notification within 2 s, and what a stalled one was sent is a
 * {@code history-gap} and the newest notifications up to the replay's bound of 1 MiB.
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
    void stalledReplaysStayBoundedAndOthersKeepUp() throws Exception {
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
                given().contentType(ContentType.JSON).body(Json.object("message", probe))
                        .post("/api/notifications").then().statusCode(202);
                await(probe + " at the healthy socket").atMost(Duration.ofSeconds(2))
                        .until(() -> healthy.notification(probe).isPresent());
            }
            long grown = usedMemory() - before;
            System.out.printf("ReplayBoundsTest: memory grown by %.1f MB with %d stalled replays%n", grown / 1048576.0, STALLED);
            assertThat("memory grown by " + grown / 1024 / 1024 + " MB with " + STALLED + " stalled replays",
                    grown, lessThan(MEMORY_BOUND));

            // What one of them was sent, once it reads: a gap, then at most the replay's byte bound (1 MiB), the newest.
            List<String> texts = stalled.get(0).readUntilClose(Duration.ofSeconds(2)).texts();
            assertThat(texts.get(0), containsString("\"type\":\"history-gap\""));
            int resumed = IntStream.range(0, texts.size()).filter(i -> texts.get(i).contains("\"type\":\"resumed\"")).findFirst().orElseThrow();
            List<String> replayed = texts.subList(1, resumed);
            assertThat(replayed.stream().mapToLong(text -> text.getBytes(StandardCharsets.UTF_8).length).sum(), lessThan(1L << 20));
            assertThat(replayed.get(replayed.size() - 1), containsString("4999 " + run));
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
