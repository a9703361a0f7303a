package org.acme.notifications.history;

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
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The topic already holds 6 notifications when this instance starts, as after a restart or on a new
 * replica: the history comes from Kafka. It keeps only the 3 newest.
 */
@QuarkusTest
@TestProfile(ResumeAfterRestartTest.SmallHistory.class)
@WithTestResource(value = KafkaBrokerResource.class, initArgs = @ResourceArg(name = KafkaBrokerResource.PRELOAD, value = "6"))
class ResumeAfterRestartTest {

    public static class SmallHistory implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.history.size", "3");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    /** Whichever test runs first, the replay from 0-3 starts with the two preloaded after it and has no hole. */
    @Test
    void resumeFromAnIdWrittenBeforeThisInstanceStarted() {
        try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=0-3"))) {
            JsonNode end = client.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
            List<String> ids = client.frames().stream().filter(f -> f.has("message")).map(f -> f.get("id").asText()).toList();
            assertThat(client.messages().subList(0, 2), equalTo(List.of("history 4", "history 5")));
            assertThat(ids, equalTo(IntStream.range(4, 4 + ids.size()).mapToObj(offset -> "0-" + offset).toList()));
            assertThat(end.get("replayed").asInt(), equalTo(ids.size()));
            assertThat(client.controlTypes(), equalTo(List.of("resumed")));
        }
    }

    @Test
    void resumeFromBeyondTheHistoryIsToldOfTheGap() {
        try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=0-0"))) {
            client.awaitFrame("the end of the replay", f -> f.path("type").asText().equals("resumed"));
            JsonNode gap = client.frames().get(0);
            assertThat(gap.get("type").asText(), equalTo("history-gap"));
            assertThat(gap.get("oldest").asText(), equalTo("0-3"));
            assertThat(client.messages(), equalTo(List.of("history 3", "history 4", "history 5")));

            Pipeline.publish("live after the history");
            client.awaitNotification("live after the history");
        }
    }
}
