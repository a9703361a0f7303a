package org.acme.notifications.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Pipeline;
import org.acme.notifications.testsupport.SocketClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The history loaded at start-up is bounded in total, by count and by bytes, however many partitions the topic has:
 * 600 records of ~1 KB on 12 partitions, a history of at most 100 notifications and 48 KiB. A client resuming from the
 * start of every partition is told that the replay has a gap, and gets the newest ones only.
 */
@QuarkusTest
@TestProfile(HistoryLoadBoundsTest.SmallHistory.class)
@WithTestResource(value = KafkaBrokerResource.class, initArgs = {
        @ResourceArg(name = KafkaBrokerResource.PARTITIONS, value = "12"),
        @ResourceArg(name = KafkaBrokerResource.PRELOAD, value = "600"),
        @ResourceArg(name = KafkaBrokerResource.PRELOAD_BYTES, value = "1000")})
class HistoryLoadBoundsTest {

    private static final int MAX_BYTES = 48 * 1024;

    public static class SmallHistory implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.history.size", "100", "notifications.history.max-bytes", String.valueOf(MAX_BYTES));
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void theLoadedHistoryIsBoundedInTotalAndAResumeFromBeforeItHasAGap() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
        }
        String fromTheStart = IntStream.range(0, 12).mapToObj(partition -> partition + "-0").collect(Collectors.joining(","));
        try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=" + fromTheStart))) {
            JsonNode resumed = client.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));

            List<String> replayed = client.messages().stream().filter(message -> message.startsWith("history ")).toList();
            assertThat(client.controlTypes().get(0), equalTo("history-gap"));
            assertThat(replayed.size(), greaterThan(0));
            assertThat(resumed.path("replayed").asInt(), lessThanOrEqualTo(100));
            int bytes = client.frames().stream().filter(frame -> frame.has("message"))
                    .mapToInt(frame -> frame.toString().getBytes(StandardCharsets.UTF_8).length).sum();
            assertThat(bytes, lessThanOrEqualTo(MAX_BYTES));
            assertThat(replayed.stream().map(message -> message.split(" ")[1]).toList(), hasItem("599"));
        }
    }
}
