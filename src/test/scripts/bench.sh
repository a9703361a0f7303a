#!/usr/bin/env bash
# Runs a load-tool scenario against the packaged service (the jar; SERVICE=native: the native executable)
# and a fresh Apache Kafka broker, all on this machine, and prints the tool's table and JSON line for each run.
#   usage: src/test/scripts/bench.sh paced|saturation|scale|targeted|memory|startup|smoke|inbox|long [options...]
#   (options after the scenario go to LoadTool; for inbox to InboxLoad, for long to LongRun)
#   targeted: every socket its own user (a signed access token each), 1,000 notifications/s each for one user;
#   --clients 1000 runs it at a tenth of the sockets, to compare the server's CPU per notification.
#   memory: 10,000 sockets, the server's memory read after a full collection (a JVM's jcmd; a native executable's
#   heap dump on SIGUSR1), with the heap's growth per socket by class and owner (target/bench/heap-per-socket.txt).
#   RUNS=3 repeats the scenario (fresh broker and service each time) and prints min / median / max.
#   --transport sse (after the scenario): the subscribers read GET /sse/notifications instead of the socket
#   (nchan: its EventSource subscriber).
#   PEER=nchan runs each run of the scenario against nginx + nchan too (src/bench/resources/nchan/nginx.conf, Debian's
#   nginx-light and libnginx-mod-nchan), right after the service's, and prints one table with the medians and ratios.
#   BENCH_BUILD=0 skips ./mvnw package (-Dnative with SERVICE=native: ~6 min); SERVICE_OPTS go to the service
#   (JVM options, or the native executable's runtime options such as -Xmx), TOOL_JAVA_OPTS to the tool's JVM;
#   SERVICE_JAVA runs the jar on another JVM (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java).
#   PORT_OFFSET=N adds N to the broker's (29092), the service's (28080) and PostgreSQL's (25433) ports.
#   The service stores its users' notifications in a fresh PostgreSQL of its own (the inbox); INBOX=off runs it
#   without one (NOTIFICATIONS_INBOX_ENABLED=false), to compare.
#   inbox: per run, paced with 1,000 notifications/s for absent users beside it, inbox off then on (what storing costs
#   live delivery), then InboxLoad on the same service: 1,000,000 notifications for 10,000 users into Kafka (stored
#   per second), and GET /api/inbox p50 / p99 over them (options after the scenario go to InboxLoad).
#   long: LongRun for an hour (--duration-s): 1,000 sockets (400 with a user's token) on public channels long-*, 20
#   notifications/s for everyone, a channel or a user, 10 reconnects/s resuming with since, 10 channel moves/s; every
#   minute (--interval-s) the server's RSS, heap after a full collection, direct memory, open files, threads and
#   event-loop lag; fails on a curve that does not level off, or on any lost, repeated or misdelivered notification
#   (options after the scenario go to LongRun; samples in target/bench/long-run.jsonl).
# Warm-up runs at the scenario's rate: paced warms up for a minute, as long as the JIT keeps compiling at 50/s.
set -euo pipefail
cd "$(dirname "$0")/../../.."

scenario="${1:?usage: bench.sh paced|saturation|scale|targeted|memory|startup|smoke|inbox|long [options...]}"
shift
case "$scenario" in
  paced)      preset=(--clients 1000 --notifications 200 --rate 50 --warmup 3000 --stages true) ;;
  saturation) preset=(--clients 1000 --notifications 2000 --rate 0 --warmup 1000) ;;
  scale)      preset=(--clients 10000 --notifications 600 --rate 10 --warmup 20) ;;
  targeted)   preset=(--clients 10000 --notifications 10000 --rate 1000 --warmup 2000 --target user) ;;
  memory)     preset=(--clients 10000 --notifications 100 --rate 100 --warmup 100 --full-gc true) ;;
  startup)    preset=(--clients 1 --notifications 1 --rate 0 --warmup 0) ;;
  smoke)      preset=(--clients 50 --notifications 20 --rate 0 --stages true) ;;
  inbox)      preset=(--clients 1000 --notifications 200 --rate 50 --warmup 3000 --absent-rate 1000) ;;
  long)       preset=() ;;
  *) echo "unknown scenario '$scenario'" >&2; exit 2 ;;
esac

case "${SERVICE:-jvm}" in
  jvm)    service=("${SERVICE_JAVA:-java}" ${SERVICE_OPTS:-} -jar target/quarkus-app/quarkus-run.jar); build=(-DskipTests) ;;
  native) service=(target/notifications-1.0.0-SNAPSHOT-runner ${SERVICE_OPTS:-}); build=(-DskipTests -Dnative) ;;
  *) echo "SERVICE is jvm or native" >&2; exit 2 ;;
esac
case "${PEER:-}" in
  "") ;;
  nchan) [[ "$scenario" != startup && "$scenario" != targeted && "$scenario" != inbox && "$scenario" != long ]] || { echo "nchan has no $scenario scenario" >&2; exit 2; } ;;
  *) echo "PEER is nchan" >&2; exit 2 ;;
esac
if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
  ./mvnw -B -q -ntp package "${build[@]}"
fi
# 10,000 sockets need as many file descriptors on each side.
ulimit -n "$(ulimit -Hn)"

out=target/bench
mkdir -p "$out"
results="$out/$scenario.jsonl"
peer_results="$out/$scenario-${PEER:-peer}.jsonl"
: > "$results"
: > "$peer_results"
# PORT_OFFSET moves the broker's, the service's and PostgreSQL's ports, so that a second checkout can run beside.
kafka_port=$((29092 + ${PORT_OFFSET:-0}))
http_port=$((28080 + ${PORT_OFFSET:-0}))
postgres_port=$((25433 + ${PORT_OFFSET:-0}))
api_key=$(cat /proc/sys/kernel/random/uuid)
classpath="target/test-classes:$(cat target/test-classpath.txt)"
# Subscribers' tokens: a key pair made for this run; the service verifies with its public half.
java -cp "$classpath" org.acme.notifications.bench.TokenSigner "$out/keys"
export MP_JWT_VERIFY_PUBLICKEY_LOCATION="$PWD/$out/keys/public.pem" MP_JWT_VERIFY_ISSUER=bench-tokens
cleanup() {
  kill "${service_pid:-}" "${peer_pid:-}" "$(cat "$out/kafka/broker.pid" 2> /dev/null)" 2> /dev/null || true
  kill -INT "$(head -n 1 "$out/postgres/postmaster.pid" 2> /dev/null)" 2> /dev/null || true
}
trap cleanup EXIT
start_postgres() {
  stop_postgres
  rm -rf "$out/postgres"
  src/test/scripts/start-postgres.sh "$postgres_port" "$out/postgres" > /dev/null
  # shellcheck disable=SC1091
  source "$out/postgres/datasource.env"
}
stop_postgres() {
  if [[ -f "$out/postgres/postmaster.pid" ]]; then
    local postgres_pid
    postgres_pid=$(head -n 1 "$out/postgres/postmaster.pid")
    kill -INT "$postgres_pid" 2> /dev/null || true # fast shutdown: no waiting for clients
    while kill -0 "$postgres_pid" 2> /dev/null; do sleep 0.1; done
  fi
}
start_kafka() {
  rm -rf "$out/kafka"
  src/test/scripts/start-kafka.sh "$kafka_port" "$out/kafka" > /dev/null
}
stop_kafka() {
  local broker_pid
  broker_pid=$(cat "$out/kafka/broker.pid")
  kill "$broker_pid"
  while kill -0 "$broker_pid" 2> /dev/null; do sleep 0.1; done
}
# Starts the service and waits until it is ready; its pid is in service_pid.
start_service() {
  "${service[@]}" > "$out/service.log" 2>&1 &
  service_pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$http_port/q/health/ready"; do
    kill -0 "$service_pid" 2> /dev/null || { tail -n 30 "$out/service.log"; exit 1; }
    sleep 0.2
  done
}
stop_service() {
  if [[ -n "${service_pid:-}" ]]; then kill "$service_pid"; wait "$service_pid" 2> /dev/null || true; unset service_pid; fi
}
load_tool() {
  java -Xmx2g ${TOOL_JAVA_OPTS:-} -cp "$classpath" org.acme.notifications.bench.LoadTool --scenario "$scenario" \
    --url "http://127.0.0.1:$http_port" --api-key "$api_key" --bootstrap-servers "127.0.0.1:$kafka_port" \
    --token-key "$out/keys/private.pem" --token-issuer bench-tokens "$@" | tee "$out/run.txt"
}
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" QUARKUS_HTTP_PORT="$http_port" NOTIFICATIONS_API_KEYS="$api_key"
# The tool's key is not rate-limited: the scenarios measure delivery, not the per-key limit.
export NOTIFICATIONS_PUBLISH_RATE_PER_KEY=1000000 NOTIFICATIONS_PUBLISH_BURST_PER_KEY=1000000

if [[ "$scenario" == inbox ]]; then
  : > "$out/inbox-paced-off.jsonl"
  : > "$out/inbox-paced-on.jsonl"
  for run in $(seq 1 "${RUNS:-1}"); do
    start_kafka
    NOTIFICATIONS_INBOX_ENABLED=false start_service
    load_tool --server-pid "$service_pid" "${preset[@]}"
    tail -n 1 "$out/run.txt" >> "$out/inbox-paced-off.jsonl"
    stop_service
    start_postgres
    start_service
    load_tool --server-pid "$service_pid" "${preset[@]}"
    tail -n 1 "$out/run.txt" >> "$out/inbox-paced-on.jsonl"
    java -Xmx2g -cp "$classpath" org.acme.notifications.bench.InboxLoad --url "http://127.0.0.1:$http_port" \
      --bootstrap-servers "127.0.0.1:$kafka_port" --token-key "$out/keys/private.pem" --token-issuer bench-tokens "$@" \
      | tee "$out/run.txt"
    tail -n 1 "$out/run.txt" >> "$results"
    stop_service
    stop_postgres
    stop_kafka
  done
  if [[ "${RUNS:-1}" -gt 1 ]]; then
    for file in "$out/inbox-paced-off.jsonl" "$out/inbox-paced-on.jsonl" "$results"; do
      echo "$file"
      java -cp "$classpath" org.acme.notifications.bench.BenchSummary "$file"
    done
  fi
  echo "JSON lines: $out/inbox-paced-off.jsonl $out/inbox-paced-on.jsonl $results"
  exit 0
fi

if [[ "$scenario" == long ]]; then
  start_kafka
  start_postgres
  NOTIFICATIONS_CHANNELS_PUBLIC='long-*' start_service
  status=0
  java -Xmx2g ${TOOL_JAVA_OPTS:-} -cp "$classpath" org.acme.notifications.bench.LongRun --url "http://127.0.0.1:$http_port" \
    --api-key "$api_key" --server-pid "$service_pid" --token-key "$out/keys/private.pem" --token-issuer bench-tokens \
    --samples-file "$out/long-run.jsonl" "$@" | tee "$out/run.txt" || status=$?
  stop_service
  stop_postgres
  stop_kafka
  exit "$status"
fi

if [[ "${INBOX:-on}" == off ]]; then
  export NOTIFICATIONS_INBOX_ENABLED=false
fi

for run in $(seq 1 "${RUNS:-1}"); do
  start_kafka
  # A fresh database with each fresh broker: the inbox keys rows by <partition>-<offset>, which restart with the topic.
  if [[ "${INBOX:-on}" != off ]]; then start_postgres; fi
  if [[ "$scenario" == startup ]]; then
    # The tool starts the service itself and times it from the moment it launches it.
    load_tool --launch "${service[*]}" --launch-log "$out/service.log" "${preset[@]}" "$@"
  else
    start_service
    load_tool --server-pid "$service_pid" "${preset[@]}" "$@"
  fi
  tail -n 1 "$out/run.txt" >> "$results"
  stop_service
  stop_kafka

  if [[ -n "${PEER:-}" ]]; then
    # The same scenario against nginx + nchan: same paths, publishing over HTTP (nchan has no Kafka).
    rm -rf "$out/nchan" && mkdir -p "$out/nchan/tmp"
    ! curl -s -m 2 -o /dev/null "http://127.0.0.1:28090/" || { echo "Port 28090 is taken: an nginx left running?" >&2; exit 1; }
    nginx -p "$PWD/$out/nchan" -c "$PWD/src/bench/resources/nchan/nginx.conf" -g "pid $PWD/$out/nchan/nginx.pid;" \
      > "$out/nchan/nginx.log" 2>&1 &
    peer_pid=$!
    until curl -s -m 2 -o /dev/null "http://127.0.0.1:28090/"; do
      kill -0 "$peer_pid" 2> /dev/null || { cat "$out/nchan/nginx.log"; exit 1; }
      sleep 0.1
    done
    # Memory and CPU of nginx's master and every worker.
    workers=$(pgrep -d, -P "$peer_pid")
    [[ -n "$workers" ]] || { echo "No nginx worker found" >&2; exit 1; }
    java -Xmx2g ${TOOL_JAVA_OPTS:-} -cp "$classpath" org.acme.notifications.bench.LoadTool --scenario "$scenario" \
      --url "http://127.0.0.1:28090" --server-pid "$peer_pid,$workers" "${preset[@]}" "$@" --via rest --peer nchan \
      | tee "$out/run.txt"
    tail -n 1 "$out/run.txt" >> "$peer_results"
    kill "$peer_pid"
    wait "$peer_pid" 2> /dev/null || true
    unset peer_pid
  fi
done

if [[ "${RUNS:-1}" -gt 1 ]]; then
  java -cp "$classpath" org.acme.notifications.bench.BenchSummary "$results"
fi
if [[ -n "${PEER:-}" ]]; then
  java -cp "$classpath" org.acme.notifications.bench.PeerComparison "$results" "$peer_results" "$PEER"
fi
echo "JSON lines: $results"
