#!/usr/bin/env bash
# Builds the JVM image from src/main/docker/Dockerfile.jvm with podman, runs it against a Kafka broker
# on loopback and checks a notification round trip through the container.
#   usage: .ci/container-check.sh KAFKA_PORT
# No image can be pulled here, so the base image is made locally: Debian (debootstrap) plus a JRE.
set -euo pipefail
kafka_port="$1"
http_port=18082
work=target/container-check
mkdir -p "$work"

# podman as root on these machines: runc (crun fails) and lower ulimits than the defaults.
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=8192:8192"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$PWD/$work/containers.conf"

if ! podman image exists localhost/debian-min:bookworm; then
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" > "$work/debootstrap.log" 2>&1
  tar -C "$work/rootfs" -c . | podman import - localhost/debian-min:bookworm
  rm -rf "$work/rootfs"
fi
if ! podman image exists localhost/notifications-jre:17; then
  podman build --network=host -t localhost/notifications-jre:17 -f - "$work" <<'BASE'
FROM localhost/debian-min:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
BASE
fi

podman build --network=host --build-arg BASE_IMAGE=localhost/notifications-jre:17 \
  -f src/main/docker/Dockerfile.jvm -t localhost/notifications:ci .

api_key=$(cat /proc/sys/kernel/random/uuid)
podman rm -f notifications-ci > /dev/null 2>&1 || true
started=$(date +%s%N)
podman run -d --name notifications-ci --network=host \
  -e KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" -e QUARKUS_HTTP_PORT="$http_port" -e NOTIFICATIONS_API_KEYS="$api_key" \
  localhost/notifications:ci > /dev/null
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
echo "container check passed: image $((size / 1000000)) MB, podman run to ready in ${ready_ms} ms, running as uid $user"
podman rm -f notifications-ci > /dev/null

# The manifest gives each pod 1 GiB for 20,000 sockets, the heap half of it. A process here may not hold more
# than 20,000 file descriptors, so this checks half of everything: 512 MiB (enforced by podman's cgroup) holds
# 10,000 sockets, refuses the next with 503, delivers to all of them, and is not OOM-killed.
podman run -d --name notifications-ci --network=host --memory=512m --memory-swap=512m \
  -e KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" -e QUARKUS_HTTP_PORT="$http_port" -e NOTIFICATIONS_API_KEYS="$api_key" \
  -e NOTIFICATIONS_SOCKET_MAX_CONNECTIONS=10000 localhost/notifications:ci > /dev/null
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
echo "memory check passed: 10,000 sockets in a 512 MiB container, peak $((peak / 1048576)) MiB (cgroup), the next one refused with 503"
