package org.acme.notifications.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The bench tools' command lines: {@code --name value} pairs; anything else prints the usage and exits with 2. */
final class ToolOptions {

    private ToolOptions() {
    }

    static Map<String, String> parse(String[] args, String usage) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println(usage);
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }
}
