#!/usr/bin/env bash
# The chaos run (issue 14, item 8): a broker in its own process, three `tally serve` instances, steady
# load; 20 SIGKILLs of random instances and 3 broker restarts at random moments; then every counter on
# every instance checked against what Kafka acknowledged. Report in bench/results/chaos-latest.json.
#   bench/chaos.sh [--kills 20] [--bounces 3] [--rate 1000] [--counters 200] [--guarantee at_least_once] [--seed N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -DskipTests package -pl bench -am >&2
exec java -Xmx1g -XX:+UseG1GC \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tally.bench.ChaosRun "$@"
