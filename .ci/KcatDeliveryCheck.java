import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Publishes with Debian's kcat to a running service and checks that the notification reaches a
 * WebSocket client: plain text and JSON records. Only the JDK is needed.
 *
 *   java .ci/KcatDeliveryCheck.java http://127.0.0.1:8080 127.0.0.1:9092 notifications API_KEY
 */
public class KcatDeliveryCheck {

    private static final List<String> frames = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws Exception {
        String http = args[0];
        String bootstrap = args[1];
        String topic = args[2];
        String apiKey = args[3];
        HttpClient client = HttpClient.newHttpClient();
        WebSocket socket = client.newWebSocketBuilder()
                .buildAsync(URI.create(http.replaceFirst("^http", "ws") + "/ws/notifications"), new Collector())
                .join();

        // A new instance reads from the latest offset once it has its partitions: publish probes until one comes back.
        String probe = "kcat-check probe " + UUID.randomUUID();
        HttpRequest post = HttpRequest.newBuilder(URI.create(http + "/api/notifications"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + probe + "\"}"))
                .build();
        awaitFrame(probe, Duration.ofSeconds(60), () -> client.send(post, HttpResponse.BodyHandlers.discarding()));

        String text = "Deploy finished " + UUID.randomUUID();
        check("plain text", text, text, bootstrap, topic);
        String json = "JSON record " + UUID.randomUUID();
        check("JSON", "{\"message\":\"" + json + "\",\"level\":\"success\"}", json, bootstrap, topic);

        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        System.out.println("kcat delivery check passed: plain text and JSON records delivered");
    }

    private static void check(String kind, String line, String message, String bootstrap, String topic) throws Exception {
        long start = System.nanoTime();
        Process kcat = new ProcessBuilder("kcat", "-b", bootstrap, "-t", topic, "-P").inheritIO()
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        kcat.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        kcat.getOutputStream().close();
        if (kcat.waitFor() != 0) {
            throw new AssertionError("kcat exited with " + kcat.exitValue());
        }
        awaitFrame(message, Duration.ofSeconds(15), () -> { });
        System.out.printf("kcat %s record delivered over the socket %d ms after kcat started%n",
                kind, Duration.ofNanos(System.nanoTime() - start).toMillis());
    }

    interface Step {
        void run() throws Exception;
    }

    private static void awaitFrame(String message, Duration timeout, Step eachTry) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String quoted = "\"message\":\"" + message + "\"";
        while (frames.stream().noneMatch(f -> f.contains(quoted))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("No notification '" + message + "' within " + timeout + "; frames seen: " + frames);
            }
            eachTry.run();
            Thread.sleep(250);
        }
    }

    static class Collector implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
