package org.acme.notifications.routing;

import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Asking where the topic ends never blocks the caller (an event loop), not even while the admin client is being made:
 * here its making is held up on purpose, in a metrics reporter it configures, as a slow DNS lookup would hold it.
 */
class TopicEndsTest {

    /** Blocks the admin client's construction until the test lets it go. */
    public static class HeldUpReporter implements MetricsReporter {
        // Made anew by each run of the test: the reporter is made by Kafka, by reflection.
        static volatile CountDownLatch entered;
        static volatile CountDownLatch release;

        @Override
        public void configure(Map<String, ?> configs) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void init(List<KafkaMetric> metrics) {
        }

        @Override
        public void metricChange(KafkaMetric metric) {
        }

        @Override
        public void metricRemoval(KafkaMetric metric) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void askingDoesNotWaitForTheAdminClientToBeMade() {
        HeldUpReporter.entered = new CountDownLatch(1);
        HeldUpReporter.release = new CountDownLatch(1);
        TopicEnds topicEnds = new TopicEnds(Map.of("bootstrap.servers", "127.0.0.1:1",
                "metric.reporters", HeldUpReporter.class.getName()), "notifications");
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            topicEnds.ends();
            await("the admin client being made").atMost(Duration.ofSeconds(10)).until(() -> HeldUpReporter.entered.getCount() == 0);

            CompletableFuture<?> second = CompletableFuture.supplyAsync(() -> topicEnds.ends(), caller);

            await("a second question, while the first is still making the client").atMost(Duration.ofSeconds(5)).until(second::isDone);
        } finally {
            HeldUpReporter.release.countDown();
            caller.shutdownNow();
            topicEnds.close();
        }
    }
}
