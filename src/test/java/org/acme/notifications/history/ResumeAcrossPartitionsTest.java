package org.acme.notifications.history;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.kafka.KafkaClients;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * A topic of three partitions, records written to them in turn: a client that resumes with the last id it
 * saw of each partition gets exactly what followed each of them, once; one that names only the partitions it
 * saw something of gets the others from where it left off.
 */
@QuarkusTest
@TestProfile(ResumeAcrossPartitionsTest.ThreePartitions.class)
@WithTestResource(value = KafkaBrokerResource.class, initArgs = @ResourceArg(name = KafkaBrokerResource.PARTITIONS, value = "3"))
class ResumeAcrossPartitionsTest {

    /** Its own profile, so that its broker (with a three-partition topic) is not shared. */
    public static class ThreePartitions implements QuarkusTestProfile {
    }

    @TestHTTPResource("/")
    URI baseUri;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void resumingWithTheLastIdOfEachPartitionMissesNothingAndRepeatsNothing() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            produceInTurn(producer, "before " + run, 9); // ids from before the client came
            SocketClient leaving = SocketClient.connect(baseUri);
            Pipeline.awaitReady(leaving); // joined: it sees everything from here on
            List<String> seen = produceInTurn(producer, "seen " + run, 6);
            leaving.awaitNotification(seen.get(seen.size() - 1));
            String since = lastIdPerPartition(leaving);
            leaving.close();

            List<String> missed = produceInTurn(producer, "missed " + run, 12);
            watcher.awaitNotification(missed.get(missed.size() - 1));
            try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                resumed.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
                assertThat(since.split(",").length, equalTo(3));
                // Order is per partition: records of different partitions may arrive in either order.
                assertThat(byPartition(resumed.messages()), equalTo(byPartition(missed)));
            }
        }
    }

    @Test
    void aPartitionTheClientSawNothingOfResumesFromWhereTheClientLeft() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            SocketClient leaving = SocketClient.connect(baseUri);
            Pipeline.awaitReady(leaving);
            String seenOnZero = "seen on 0 " + run;
            producer.send(new ProducerRecord<>("notifications", 0, null, seenOnZero.getBytes(StandardCharsets.UTF_8))).get();
            String since = leaving.awaitNotification(seenOnZero).get("id").asText();
            leaving.close();

            List<String> missed = produceInTurn(producer, "missed " + run, 6);
            watcher.awaitNotification(missed.get(missed.size() - 1));
            try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + since))) {
                resumed.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
                assertThat(byPartition(resumed.messages().stream().filter(message -> message.contains(run)).toList()),
                        equalTo(byPartition(missed)));
            }
        }
    }

    /** An event stream's id is its position in every partition: the browser's Last-Event-ID resumes it exactly, once. */
    @Test
    void anEventStreamResumesFromItsLastEventIdExactly() throws Exception {
        try (SocketClient watcher = SocketClient.connect(baseUri);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(bootstrapServers)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            String lastEventId;
            try (EventStreamClient leaving = EventStreamClient.open(baseUri, "", Map.of())) {
                await("the stream's first bytes").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> leaving.retry() > 0);
                List<String> seen = produceInTurn(producer, "seen " + run, 6);
                leaving.awaitNotification(seen.get(seen.size() - 1));
                lastEventId = leaving.lastEventId();
            }
            assertThat(lastEventId.split(",").length, equalTo(3));

            List<String> missed = produceInTurn(producer, "missed " + run, 12);
            watcher.awaitNotification(missed.get(missed.size() - 1));
            try (EventStreamClient resumed = EventStreamClient.open(baseUri, "", Map.of("Last-Event-ID", lastEventId))) {
                resumed.awaitEvent("the end of the replay", event -> event.name().equals("resumed"));
                assertThat(byPartition(resumed.messages()), equalTo(byPartition(missed)));
            }
        }
    }

    /** The messages of each partition, in order ("missed 4" went to partition 4 % 3). */
    private static Map<Long, List<String>> byPartition(List<String> messages) {
        return messages.stream().collect(Collectors.groupingBy(
                message -> Long.parseLong(message.substring(message.lastIndexOf(' ') + 1)) % 3, TreeMap::new, Collectors.toList()));
    }

    /** Writes {@code count} records to partitions 0, 1, 2, 0, 1, ... one at a time; returns their messages in order. */
    private static List<String> produceInTurn(KafkaProducer<String, byte[]> producer, String prefix, int count) throws Exception {
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String message = prefix + " " + i;
            producer.send(new ProducerRecord<>("notifications", i % 3, null, message.getBytes(StandardCharsets.UTF_8))).get();
            messages.add(message);
        }
        return messages;
    }

    private static String lastIdPerPartition(SocketClient client) {
        Map<Integer, String> last = new TreeMap<>();
        client.frames().stream().filter(f -> f.has("id")).map(f -> f.get("id").asText())
                .forEach(id -> last.put(Integer.parseInt(id.substring(0, id.indexOf('-'))), id));
        return last.values().stream().collect(Collectors.joining(","));
    }
}
