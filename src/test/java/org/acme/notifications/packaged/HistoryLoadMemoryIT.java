package org.acme.notifications.packaged;

import com.fasterxml.jackson.databind.JsonNode;
import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A topic whose recent records do not fit the direct memory the service is given: 12 partitions, 48 MB of records,
 * 40 MB of direct memory. The history load stays within its bounds (16 MB by default, encoded in pieces of 1 MiB), the
 * service starts, and a client resuming from the first record of every partition is told that the replay has a gap:
 * never resumed as if nothing were missing. (Loaded whole into one buffer, the load failed for want of memory after it
 * had claimed to cover every partition from its start, and such a resume was never answered as it should be.) The jar
 * only: the figures are the JVM's direct-memory arithmetic (Netty's pooled buffers take ~13 MB of the limit here).
 */
class HistoryLoadMemoryIT {

    private static final int PARTITIONS = 12;

    @Test
    void aHistoryLargerThanMemoryIsBoundedAndAResumeFromBeforeItIsToldOfTheGap() throws Exception {
        assumeFalse(ServiceProcess.isNative(), "the direct-memory figures are the JVM's");
        KafkaBrokerProcess broker = KafkaBrokerProcess.fresh("kafka-history-memory-it");
        broker.start();
        try {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("notifications", PARTITIONS, (short) 1))).all().get();
            }
            String padding = "x".repeat(3800);
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(broker.bootstrapServers())) {
                for (int i = 0; i < PARTITIONS * 1050; i++) {
                    producer.send(new ProducerRecord<>("notifications", i % PARTITIONS, null,
                            ("history " + i + " " + padding).getBytes(StandardCharsets.UTF_8)));
                }
            }
            try (ServiceProcess service = new ServiceProcess(broker.bootstrapServers(), "history-memory")
                    .withOptions("-XX:MaxDirectMemorySize=40m").start()) {
                String fromTheStart = IntStream.range(0, PARTITIONS).mapToObj(partition -> partition + "-0")
                        .collect(Collectors.joining(","));
                try (SocketClient client = SocketClient.connectWithJdkClient(service.baseUri(), null, fromTheStart)) {
                    JsonNode resumed = client.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));

                    assertThat(client.controlTypes().get(0), equalTo("history-gap"));
                    assertThat(resumed.path("replayed").asInt(), greaterThan(0));
                }
            }
        } finally {
            broker.stop();
        }
    }
}
