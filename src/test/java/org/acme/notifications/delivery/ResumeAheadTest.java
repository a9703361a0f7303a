package org.acme.notifications.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

/**
 * A {@code since} id this instance has not reached yet (a client coming from a replica that is ahead)
 * is waited for, not answered with {@code unknown-id}: once the instance gets there, the socket is
 * replayed what follows it and goes live. One that is not reached in time closes the socket with 4009,
 * and the client keeps its id.
 */
@QuarkusTest
@TestProfile(ResumeAheadTest.ShortCatchUp.class)
@WithTestResource(KafkaBrokerResource.class)
class ResumeAheadTest {

    public static class ShortCatchUp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("notifications.history.catch-up-timeout", "3s");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void anIdAheadOfThisInstanceIsWaitedForThenResumedExactly() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            String run = UUID.randomUUID().toString();
            Pipeline.publish("before " + run);
            String[] last = watcher.awaitNotification("before " + run).get("id").asText().split("-");
            // Two records further on: ids that exist nowhere yet.
            String ahead = last[0] + "-" + (Long.parseLong(last[1]) + 2);

            try (SocketClient resumed = SocketClient.connect(URI.create(baseUri + "?since=" + ahead))) {
                List<String> sent = IntStream.range(1, 5).mapToObj(i -> "after " + i + " " + run).toList();
                sent.forEach(Pipeline::publish);
                resumed.awaitNotification(sent.get(3));

                assertThat(resumed.messages(), equalTo(sent.subList(2, 4)));
                assertThat(resumed.controlTypes(), equalTo(List.of("resumed")));
                assertThat(resumed.frames().get(0).path("since").asText(), equalTo(ahead));
            }
        }
    }

    @Test
    void anIdNotReachedInTimeClosesTheSocketWith4009() {
        try (SocketClient watcher = SocketClient.connect(baseUri)) {
            Pipeline.awaitReady(watcher);
            try (SocketClient client = SocketClient.connect(URI.create(baseUri + "?since=0-999999999"))) {
                await("a 4009 close").atMost(SocketClient.DELIVERY_TIMEOUT).until(() -> client.closeCode().isPresent());
                assertThat(client.closeCode().orElseThrow(), equalTo(4009));
                assertThat(client.frames().stream().noneMatch(JsonNode::isObject), is(true));
            }
        }
    }
}
