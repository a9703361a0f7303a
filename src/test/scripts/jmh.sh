#!/usr/bin/env bash
# Runs the JMH micro-benchmarks of the routing core and the frame encoding (src/bench/java/org/acme/notifications/{routing,frames}/*Benchmark)
# on this machine, one fork each; never part of ./mvnw verify.
#   usage: src/test/scripts/jmh.sh [benchmark regex, e.g. Recipients] [JMH options, e.g. -p subscribers=1000]
set -euo pipefail
cd "$(dirname "$0")/../../.."
./mvnw -B -q -ntp test-compile
exec java -cp "target/classes:target/test-classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main "${@:-Benchmark}"
