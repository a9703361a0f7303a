#!/usr/bin/env bash
# Starts a real PostgreSQL server in the background on 127.0.0.1:PORT with its data in DATA_DIR (initialized on first
# use, kept afterwards) and waits until it takes connections. Used by ./dev.sh, .ci/run and bench.sh; it runs the same
# PostgresServer the tests use, so there is one way to start the database.
#   usage: start-postgres.sh PORT DATA_DIR    (needs ./mvnw test-compile first)
# Writes DATA_DIR/postmaster.pid and DATA_DIR/datasource.env (the QUARKUS_DATASOURCE_* settings, to source).
set -euo pipefail
port="$1"
dir="$2"
mkdir -p "$dir"
java -cp "target/test-classes:$(cat target/test-classpath.txt)" org.acme.notifications.postgres.PostgresServer "$port" "$dir" \
  > "$dir/datasource.env.new" || {
  echo "PostgreSQL did not start; its log is server.log in its data folder (see $dir)" >&2
  exit 1
}
sed 's/^/export /' "$dir/datasource.env.new" > "$dir/datasource.env"
rm "$dir/datasource.env.new"
echo "PostgreSQL ready on 127.0.0.1:$port (data: $dir)"
