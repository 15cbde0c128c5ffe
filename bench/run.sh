#!/usr/bin/env bash
# One command, one machine, one run: Kafka's ceiling and Tally's figures side by side, then the HTTP
# paths as a client sees them, with Redis beside them (bench/http.sh).
#   bench/run.sh [--quick] [--skip-http] [TallyBench options]
#     results in bench/results/latest.json, latest.png and http-latest.json; tables on stdout
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
http=yes
quick=()
args=()
for arg in "$@"; do
  case "$arg" in
    --skip-http) http=no ;;
    --quick) quick=(--quick); args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
mvn -B -q -DskipTests package -pl bench -am >&2
java -Xmx3g -XX:+UseG1GC -Djava.awt.headless=true \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tally.bench.TallyBench "${args[@]}" bench/results
if [[ "$http" == yes ]]; then
  echo
  bash bench/http.sh "${quick[@]}"
fi
