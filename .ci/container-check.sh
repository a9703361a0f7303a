#!/usr/bin/env bash
# Builds the JVM image (src/main/docker/Dockerfile.jvm) or the native one (Dockerfile.native, after
# ./mvnw package -Dnative) with podman, runs it against a Kafka broker on loopback, checks a notification
# round trip through the container, then 10,000 sockets in a 512 MiB container.
#   usage: .ci/container-check.sh jvm|native KAFKA_PORT
# No image can be pulled here, so the base images are made locally: Debian (debootstrap) plus a JRE for
# the JVM image; plus, for the native one, the JDK libraries that an executable built with
# ../shared/native-toolchain links dynamically (an executable built by GraalVM/Mandrel needs none).
set -euo pipefail
kind="$1"
kafka_port="$2"
http_port=18082
work=target/container-check
mkdir -p "$work"

export CONTAINERS_CONF="$PWD/src/test/container/containers.conf"
src/test/container/jre-base-image.sh

if [ "$kind" = jvm ]; then
  base=localhost/notifications-jre:17
  # The JVM sizes its heap from the container's memory limit (-XX:MaxRAMPercentage=50 in the image).
  run_args=()
else
  # An executable built with the toolchain finds its JDK libraries through a RUNPATH into the build machine's
  # toolchain: the base image gets a copy of them. One built by GraalVM/Mandrel has no RUNPATH and needs none.
  runtime=$(readelf -d target/*-runner | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
  rm -rf "$work/native-runtime" && mkdir -p "$work/native-runtime"
  [ -z "$runtime" ] || cp -r "$runtime"/. "$work/native-runtime"
  podman build --network=host -t localhost/notifications-native-base:ci -f - "$work" <<'BASE'
FROM localhost/debian-min:bookworm
COPY native-runtime /opt/native-runtime
ENV LD_LIBRARY_PATH=/opt/native-runtime
BASE
  base=localhost/notifications-native-base:ci
  # The native executable does not see the container's limits: heap and processors are given, as in
  # kubernetes/native (half the memory limit for the heap).
  run_args=(-Xmx256m -XX:ActiveProcessorCount=2)
fi

podman build --network=host --build-arg BASE_IMAGE="$base" \
  -f "src/main/docker/Dockerfile.$kind" -t localhost/notifications:ci .

api_key=$(cat /proc/sys/kernel/random/uuid)
podman rm -f notifications-ci > /dev/null 2>&1 || true
started=$(date +%s%N)
podman run -d --name notifications-ci --network=host \
  -e KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" -e QUARKUS_HTTP_PORT="$http_port" -e NOTIFICATIONS_API_KEYS="$api_key" \
  -e QUARKUS_DATASOURCE_REACTIVE_URL -e QUARKUS_DATASOURCE_USERNAME -e QUARKUS_DATASOURCE_PASSWORD \
  localhost/notifications:ci "${run_args[@]}" > /dev/null
trap 'podman logs notifications-ci > "$work/container.log" 2>&1 || true; podman rm -f notifications-ci > /dev/null 2>&1 || true' EXIT
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$http_port/q/health/ready" && break
  sleep 0.25
done
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
curl -sf -o /dev/null "http://127.0.0.1:$http_port/q/health/ready" || { podman logs notifications-ci; exit 1; }
user=$(podman exec notifications-ci id -u)
[ "$user" != 0 ] || { echo "The container runs as root" >&2; exit 1; }

java .ci/KcatDeliveryCheck.java "http://127.0.0.1:$http_port" "127.0.0.1:$kafka_port" notifications "$api_key"
size=$(podman image inspect localhost/notifications:ci --format '{{.Size}}')
echo "container check passed ($kind): image $((size / 1000000)) MB, podman run to ready in ${ready_ms} ms, running as uid $user"
podman rm -f notifications-ci > /dev/null

# The manifest gives each pod 1 GiB for 20,000 sockets, the heap half of it. A process here may not hold more
# than 20,000 file descriptors, so this checks half of everything: 512 MiB (enforced by podman's cgroup) holds
# 10,000 sockets, refuses the next with 503, delivers to all of them, and is not OOM-killed.
podman run -d --name notifications-ci --network=host --memory=512m --memory-swap=512m \
  -e KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" -e QUARKUS_HTTP_PORT="$http_port" -e NOTIFICATIONS_API_KEYS="$api_key" \
  -e QUARKUS_DATASOURCE_REACTIVE_URL -e QUARKUS_DATASOURCE_USERNAME -e QUARKUS_DATASOURCE_PASSWORD \
  -e NOTIFICATIONS_SOCKET_MAX_CONNECTIONS=10000 localhost/notifications:ci "${run_args[@]}" > /dev/null
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$http_port/q/health/ready" && break
  sleep 0.25
done
java -Xmx2g -cp "target/test-classes:$(cat target/test-classpath.txt)" org.acme.notifications.bench.LoadTool \
  --scenario memory-limit --url "http://127.0.0.1:$http_port" --api-key "$api_key" --clients 10001 --notifications 20 \
  --rate 10 --warmup 0 --server-pid "$(podman inspect --format '{{.State.Pid}}' notifications-ci)" | tee "$work/memory.txt"
result=$(tail -n 1 "$work/memory.txt")
grep -q '"connected":10000,' <<< "$result" && grep -q '"connect_failures":1,' <<< "$result" \
  && grep -q 'upgrade failure: 503' <<< "$result" || { echo "10,000 sockets and one 503 expected" >&2; exit 1; }
[ "$(podman inspect --format '{{.State.OOMKilled}} {{.State.Running}}' notifications-ci)" = "false true" ] \
  || { echo "The container did not survive 10,000 sockets in 512 MiB" >&2; exit 1; }
# The container's cgroup: cgroup v1 (memory.max_usage_in_bytes) or v2 (memory.peak).
id=$(podman inspect --format '{{.Id}}' notifications-ci)
peak=$( { cat /sys/fs/cgroup/memory/libpod_parent/libpod-"$id"/memory.max_usage_in_bytes \
  $(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id*" 2> /dev/null | sed 's|$|/memory.peak|') 2> /dev/null || true; } | head -n 1)
peak=${peak:-0}
echo "memory check passed ($kind): 10,000 sockets in a 512 MiB container, peak $((peak / 1048576)) MiB (cgroup), the next one refused with 503"
