package org.acme.notifications.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.Metrics;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * A dead-letter topic that cannot be written (it wants two in-sync replicas; the broker has one, so the
 * producer retries until it gives up) does not hold back delivery: the record after a poison record
 * arrives at once, not after the dead-letter producer's timeouts.
 */
@QuarkusTest
@TestProfile(DeadLetterOutageTest.UnwritableDeadLetterTopic.class)
@WithTestResource(KafkaBrokerResource.class)
class DeadLetterOutageTest {

    private static final String DEAD_LETTER_TOPIC = "notifications-dlq-unwritable";

    public static class UnwritableDeadLetterTopic implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.dead-letter-topic", DEAD_LETTER_TOPIC);
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void aPoisonRecordWhileTheDeadLetterTopicIsUnwritableDoesNotDelayTheNextNotification() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(DEAD_LETTER_TOPIC, 1, (short) 1)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get();
        }
        try (SocketClient client = SocketClient.connect(baseUri);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            Pipeline.awaitReady(client);
            double deadLetteredBefore = Metrics.value(baseUri, "notifications_dead_lettered_total");
            producer.send(new ProducerRecord<>("notifications", "{\"message\": 42}".getBytes(StandardCharsets.UTF_8))).get();
            await("the poison record read").atMost(SocketClient.DELIVERY_TIMEOUT)
                    .until(() -> Metrics.value(baseUri, "notifications_dead_lettered_total") > deadLetteredBefore);

            String next = "after the poison " + UUID.randomUUID();
            producer.send(KafkaClients.textRecord(next)).get();
            // At once: waiting for the dead letter would take the producer's 10 s before it gives up.
            await(next + " delivered").atMost(Duration.ofSeconds(5)).until(() -> client.notification(next).isPresent());
        }
    }
}
