package org.acme.notifications.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One table for the same scenario run against the service and against a peer (bench.sh with PEER=nchan): the
 * median of each side's runs and their ratio. Ratios are service / peer; for latencies and memory lower is better,
 * for deliveries per second higher is.
 *   usage: PeerComparison SERVICE.jsonl PEER.jsonl PEER_NAME
 */
public final class PeerComparison {

    private static final String[] FIGURES = {
        "deliveries_per_s", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms", "latency_max_ms",
        "lost", "duplicated", "kb_per_connection", "server_rss_connected_kb", "server_cpu_us_per_notification", "connect_ms"};

    private PeerComparison() {
    }

    public static void main(String[] args) throws IOException {
        List<JsonNode> service = runs(Path.of(args[0]));
        List<JsonNode> peer = runs(Path.of(args[1]));
        System.out.printf("%n%s, median of %d / %d runs; published via %s / %s%n", service.get(0).path("scenario").asText(),
                service.size(), peer.size(), service.get(0).path("via").asText(), peer.get(0).path("via").asText());
        System.out.printf("  %-32s %14s %14s %8s%n", "", "service", args[2], "ratio");
        for (String figure : FIGURES) {
            Double ours = median(service, figure);
            Double theirs = median(peer, figure);
            if (ours == null || theirs == null) {
                continue;
            }
            String ratio = theirs == 0 ? "-" : String.format("%.2f", ours / theirs);
            System.out.printf("  %-32s %14s %14s %8s%n", figure, format(ours), format(theirs), ratio);
        }
    }

    private static List<JsonNode> runs(Path jsonl) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> runs = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            runs.add(mapper.readTree(line));
        }
        return runs;
    }

    private static Double median(List<JsonNode> runs, String figure) {
        List<Double> values = new ArrayList<>();
        for (JsonNode run : runs) {
            if (run.path(figure).isNumber()) {
                values.add(run.get(figure).asDouble());
            }
        }
        if (values.isEmpty()) {
            return null;
        }
        values.sort(Double::compare);
        int middle = values.size() / 2;
        return values.size() % 2 == 1 ? values.get(middle) : (values.get(middle - 1) + values.get(middle)) / 2;
    }

    private static String format(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.format("%.2f", value);
    }
}
