#!/usr/bin/env bash
# Runs the service in Quarkus dev mode on http://localhost:8080 (live reload, Dev UI at /q/dev-ui).
# Without KAFKA_BOOTSTRAP_SERVERS (or -Dkafka.bootstrap.servers=...), it first starts Apache Kafka's
# own broker on 127.0.0.1:9092 (KAFKA_PORT to change it; data in target/kafka-dev) and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" && "$*" != *kafka.bootstrap.servers=* ]]; then
  port="${KAFKA_PORT:-9092}"
  ./mvnw -B -q test-compile
  trap 'kill "$(cat target/kafka-dev/broker.pid)" 2>/dev/null || true' EXIT
  src/test/scripts/start-kafka.sh "$port" target/kafka-dev
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"
fi

./mvnw quarkus:dev "$@"
