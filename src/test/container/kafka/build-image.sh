#!/usr/bin/env bash
# Builds localhost/notifications-kafka:4.1.2, a stand-in for apache/kafka (see Dockerfile), from the Kafka jars on
# Maven Central: kafka_2.13's runtime closure plus log4j-slf4j-impl (Kafka 4.1 logs through slf4j 1.7; without a
# binding the broker prints nothing and KafkaContainer's log wait never ends).   usage: build-image.sh
set -euo pipefail
cd "$(dirname "$0")/../../../.."   # the project root
kafka_version=4.1.2
image=localhost/notifications-kafka:$kafka_version
ctx=$PWD/target/kafka-image
rm -rf "$ctx" && mkdir -p "$ctx"

# A throwaway pom so Maven resolves the closure; offline first (jars already in ~/.m2), else from Central.
cat > "$ctx/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>kafka-image</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$kafka_version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version></dependency>
  </dependencies>
</project>
POM
copy=(-q -f "$ctx/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/libs")
./mvnw -o "${copy[@]}" > /dev/null 2>&1 || ./mvnw "${copy[@]}"
cp src/test/container/kafka/{Dockerfile,run,log4j2.properties} "$ctx/"
chmod 755 "$ctx/run"

export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/src/test/container/containers.conf}"
src/test/container/jre-base-image.sh
podman build --network=host -t "$image" "$ctx"
echo "built $image ($(ls "$ctx/libs" | wc -l) jars)"
