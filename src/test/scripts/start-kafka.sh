#!/usr/bin/env bash
# Starts Apache Kafka's own broker (single node, KRaft) in the background on 127.0.0.1:PORT and
# waits until it accepts clients. Used by ./dev.sh, .ci/run and bench.sh; it runs the same
# KafkaBrokerProcess the tests use, so there is one way to start the broker.
#   usage: start-kafka.sh PORT DATA_DIR    (needs ./mvnw test-compile first; writes DATA_DIR/broker.pid)
set -euo pipefail
port="$1"
dir="$2"
java -cp "target/test-classes:$(cat target/test-classpath.txt)" org.acme.notifications.kafka.KafkaBrokerProcess "$port" "$dir" || {
  echo "Kafka broker did not start; the end of $dir/broker.log:" >&2
  tail -n 30 "$dir/broker.log" >&2
  exit 1
}
