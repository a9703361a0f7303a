package org.acme.notifications.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Min / median / max of every figure over the JSON lines of several load-tool runs. */
public final class BenchSummary {

    private BenchSummary() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines) {
            JsonNode run = mapper.readTree(line);
            run.fields().forEachRemaining(field -> {
                if (field.getValue().isNumber()) {
                    figures.computeIfAbsent(field.getKey(), name -> new ArrayList<>()).add(field.getValue().asDouble());
                }
            });
        }
        System.out.printf("%n%d runs: min / median / max%n", lines.size());
        figures.forEach((name, values) -> {
            values.sort(Double::compare);
            System.out.printf("  %-28s %s / %s / %s%n", name, format(values.get(0)),
                    format(values.get(values.size() / 2)), format(values.get(values.size() - 1)));
        });
    }

    private static String format(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
