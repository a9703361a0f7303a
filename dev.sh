#!/usr/bin/env bash
# Runs the service in Quarkus dev mode on http://localhost:8080 (live reload, Dev UI at /q/dev-ui).
# Without KAFKA_BOOTSTRAP_SERVERS (or -Dkafka.bootstrap.servers=...), it first starts Apache Kafka's
# own broker on 127.0.0.1:9092 (KAFKA_PORT to change it; data in target/kafka-dev) and stops it on exit.
# Without QUARKUS_DATASOURCE_REACTIVE_URL, it starts PostgreSQL for the inbox on 127.0.0.1:5433 (POSTGRES_PORT
# to change it; data in target/postgres-dev, kept from run to run) and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")"

own_kafka=false
own_postgres=false
[[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" && "$*" != *kafka.bootstrap.servers=* ]] && own_kafka=true
[[ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" && "$*" != *datasource.reactive.url=* ]] && own_postgres=true
stop_own() {
  if $own_kafka; then kill "$(cat target/kafka-dev/broker.pid)" 2> /dev/null || true; fi
  if $own_postgres; then kill -INT "$(head -n 1 target/postgres-dev/postmaster.pid 2> /dev/null)" 2> /dev/null || true; fi
}
if $own_kafka || $own_postgres; then
  ./mvnw -B -q test-compile
  trap stop_own EXIT
fi
if $own_kafka; then
  port="${KAFKA_PORT:-9092}"
  src/test/scripts/start-kafka.sh "$port" target/kafka-dev
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"
fi
if $own_postgres; then
  src/test/scripts/start-postgres.sh "${POSTGRES_PORT:-5433}" target/postgres-dev
  # shellcheck disable=SC1091
  source target/postgres-dev/datasource.env
fi

./mvnw quarkus:dev "$@"
