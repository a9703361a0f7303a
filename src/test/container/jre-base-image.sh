#!/usr/bin/env bash
# Makes localhost/notifications-jre:17 (Debian bookworm + OpenJDK 17 JRE) unless it exists: the base of the
# JVM image in CI and of the test Kafka image. No image can be pulled on the project's build machines, so
# Debian comes from debootstrap (~30 s) and the JRE from apt.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the project root
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/src/test/container/containers.conf}"
podman image exists localhost/notifications-jre:17 && exit 0
mkdir -p target
work=$(mktemp -d -p "$PWD/target" base-image.XXXX)
trap 'rm -rf "$work"' EXIT
if ! podman image exists localhost/debian-min:bookworm; then
  debootstrap --variant=minbase bookworm "$work/rootfs" > "$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/rootfs" -c . | podman import - localhost/debian-min:bookworm
  rm -rf "$work/rootfs"
fi
podman build --network=host -t localhost/notifications-jre:17 -f - "$work" <<'BASE'
FROM localhost/debian-min:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
BASE
