#!/usr/bin/env bash
# Run by the POM's native-toolchain profile before a -Dnative build: assembles the GraalVM home that
# ../shared/native-toolchain/assemble.sh makes into $TC (from $JDK), once per version of that script and JDK. The
# marker is written only after a complete assembly, so a failed one is redone, not reused.
#   usage: TC=<dir> JDK=<Temurin 25> native-toolchain.sh <path to assemble.sh>
set -euo pipefail
assemble="$1"
[ -x "$JDK/bin/java" ] || { echo "native-toolchain: no JDK 25 at $JDK (set -Dnative.toolchain.jdk)" >&2; exit 1; }
marker="$TC/.assembled-$(cat "$assemble" "$JDK/release" | sha256sum | cut -c1-16)"
# One assembly at a time: two builds on one machine share the directory.
mkdir -p "$(dirname "$TC")"
exec 9> "$TC.lock"
flock 9
if [ ! -f "$marker" ]; then
  bash "$assemble"
  touch "$marker"
fi
