#!/usr/bin/env bash
# One command, one machine, one run: Kafka's ceiling and Tally's figures side by side.
#   bench/run.sh [--quick]      results in bench/results/latest.json and latest.png, table on stdout
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -DskipTests package -pl bench -am >&2
exec java -Xmx3g -XX:+UseG1GC -Djava.awt.headless=true \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tally.bench.TallyBench "$@" bench/results
