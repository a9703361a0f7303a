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
