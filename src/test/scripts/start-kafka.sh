#!/usr/bin/env bash
# Starts Apache Kafka's own broker (single node, KRaft) in the background on 127.0.0.1:PORT and
# waits until it accepts clients. Used by ./dev.sh and .ci/run; the tests start it from Java.
#   usage: start-kafka.sh PORT DATA_DIR    (needs ./mvnw test-compile first; writes DATA_DIR/broker.pid)
set -euo pipefail
port="$1"
dir="$2"
mkdir -p "$dir"
# C1 only: this broker needs little peak speed, and C2 compiling for minutes would take CPU from the
# service and the load tool on a small machine.
java -Xmx512m -XX:TieredStopAtLevel=1 -cp "target/test-classes:$(cat target/test-classpath.txt)" \
  org.acme.notifications.kafka.KafkaBroker "$port" "$((port + 1))" "$dir" > "$dir/broker.log" 2>&1 &
echo $! > "$dir/broker.pid"
for _ in $(seq 1 300); do
  if grep -q "Kafka broker ready" "$dir/broker.log"; then
    echo "Kafka broker ready on 127.0.0.1:$port (log: $dir/broker.log)"
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "Kafka broker did not start; the end of $dir/broker.log:" >&2
tail -n 30 "$dir/broker.log" >&2
exit 1
