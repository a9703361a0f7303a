package org.acme.notifications.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** How the load tool publishes: through the REST trigger, or straight into the Kafka topic like any other producer. */
interface Publisher extends AutoCloseable {

    /** What became of one notification: its id ({@code <partition>-<offset>}) once accepted, or why it was refused. */
    record Outcome(String id, String refusal) {

        boolean accepted() {
            return refusal == null;
        }

        static Outcome refused(String why) {
            return new Outcome(null, why);
        }
    }

    /**
     * Publishes {@code message} for everyone, or for {@code channel} or {@code user} when not null. Completes once
     * accepted (202, or the broker's ack) or refused; never exceptionally.
     */
    CompletionStage<Outcome> publish(String message, String channel, String user);

    @Override
    void close();

    /** POST /api/notifications: accepted on 202 (the service), or on any 2xx from a peer (nchan answers 201 or 202). */
    static Publisher rest(Vertx vertx, URI base, String apiKey, int maxInFlight, boolean peer) {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(maxInFlight));
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST)
                .setHost(base.getHost()).setPort(base.getPort()).setURI("/api/notifications")
                .putHeader("Content-Type", "application/json")
                // longer than the service's own publish timeout: a POST that hangs is refused, not waited on forever
                .setIdleTimeout(15_000);
        if (apiKey != null) {
            request.putHeader("Authorization", "Bearer " + apiKey);
        }
        return new Publisher() {
            @Override
            public CompletionStage<Outcome> publish(String message, String channel, String user) {
                String body = notification(message, channel, user);
                CompletableFuture<Outcome> done = new CompletableFuture<>();
                // Sent from an event loop: called from any other thread, the response can end before its body
                // handler is set, and a 202 reads as an empty body (1 in 45,000 publishes in the long run).
                vertx.getOrCreateContext().runOnContext(ignored -> client.request(request)
                        .compose(req -> req.send(body))
                        .compose(response -> response.body().map(answer -> accepted(response.statusCode(), peer)
                                ? new Outcome(peer ? null : answer.toJsonObject().getString("id"), null)
                                : Outcome.refused(response.statusCode() + " " + answer)))
                        .otherwise(failure -> Outcome.refused(failure.toString()))
                        .onSuccess(done::complete));
                return done;
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    private static boolean accepted(int status, boolean peer) {
        return peer ? status / 100 == 2 : status == 202;
    }

    /** The JSON body of a notification; plain text goes to everyone from Kafka as it is. */
    private static String notification(String message, String channel, String user) {
        JsonObject body = new JsonObject().put("message", message);
        if (channel != null) {
            body.put("channel", channel);
        }
        if (user != null) {
            body.put("user", user);
        }
        return body.encode();
    }

    static Publisher kafka(String bootstrapServers, String topic) {
        KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, "0"), new StringSerializer(), new StringSerializer());
        return new Publisher() {
            @Override
            public CompletionStage<Outcome> publish(String message, String channel, String user) {
                CompletableFuture<Outcome> done = new CompletableFuture<>();
                // Keyed by target, as the service's own producer does (Target#recordKey).
                String key = user != null ? "user:" + user : channel != null ? "channel:" + channel : null;
                ProducerRecord<String, String> record = key == null
                        ? new ProducerRecord<>(topic, message)
                        : new ProducerRecord<>(topic, key, notification(message, channel, user));
                producer.send(record,
                        (metadata, failure) -> done.complete(failure == null
                                ? new Outcome(metadata.partition() + "-" + metadata.offset(), null) : Outcome.refused(failure.toString())));
                return done;
            }

            @Override
            public void close() {
                producer.close();
            }
        };
    }
}
