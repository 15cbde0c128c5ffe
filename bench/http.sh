#!/usr/bin/env bash
# The HTTP paths, measured as a client sees them, with Redis beside them in the same run.
#   bench/http.sh [--quick]     table on stdout, raw figures in bench/results/http-latest.json
#
# Starts `tally serve` (embedded broker) on free ports and loads it with wrk (keep-alive connections):
# single increments at 1 and 64 clients, the same with `Prefer: respond-async`, batches of 1,000 events
# at 4 clients, and point, trailing-window and uniques reads at 1 and 16 clients, on the instance once
# it has counted what it was sent, beside /health/live, which reads no store; then point reads routed
# to a second instance that joins the first one's broker. Then, if redis-server
# is installed (the script tries `apt-get install redis-server wrk` and says so if it cannot), Redis with
# AOF every second under redis-benchmark: INCRBY unpipelined and with -P 64 over 1M keys, a hot key,
# PFADD, GET and PFCOUNT.
#
# The 1-client rows are timed by OneClient (bench/src/main/java/dev/tally/bench/OneClient.java: one
# keep-alive connection, each request timed from its first byte written to its answer's last byte read),
# not by `wrk -c1`, whose p99 on `serve` came out 4-14 times what OneClient and `ab` measured on the
# same server, and above what its own request rate allows (docs/benchmarks.md); the point read is
# timed both ways.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration=10s
[[ "${1:-}" == "--quick" ]] && duration=4s

if ! command -v wrk > /dev/null || ! command -v redis-server > /dev/null; then
  echo "installing wrk and redis-server from Debian packages..." >&2
  (apt-get install -y -q wrk redis-server redis-tools > /dev/null 2>&1 \
    || (apt-get update -q > /dev/null 2>&1 && apt-get install -y -q wrk redis-server redis-tools > /dev/null 2>&1)) \
    || echo "could not install wrk/redis-server; Redis is left out of this run" >&2
fi
command -v wrk > /dev/null || { echo "wrk is required" >&2; exit 1; }

mvn -B -q -DskipTests package -pl app,bench -am >&2
work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
kafka_port="$(free_port)"
redis_port="$(free_port)"
cleanup() {
  [[ -n "${peer_pid:-}" ]] && kill "$peer_pid" 2> /dev/null && wait "$peer_pid" 2> /dev/null || true
  [[ -n "${tally_pid:-}" ]] && kill "$tally_pid" 2> /dev/null && wait "$tally_pid" 2> /dev/null || true
  [[ -n "${redis_pid:-}" ]] && kill "$redis_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A recovery lag beyond any this run builds: the second instance below takes its share of the partitions
# as it joins, instead of warming copies up until a probing rebalance 10 minutes later.
java -Xmx1g -jar app/target/tally.jar serve --data-dir "$work/data" --port "$http_port" \
  --kafka-port "$kafka_port" --application-id "bench-http" --streams-config acceptable.recovery.lag=1000000000 \
  > "$work/tally.log" 2>&1 &
tally_pid=$!
base="http://127.0.0.1:$http_port"
for _ in $(seq 1 240); do
  curl -sf "$base/health/ready" > /dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "$base/health/ready" > /dev/null || { echo "tally did not become ready; log: $work/tally.log" >&2; tail -20 "$work/tally.log" >&2; exit 1; }

# wrk scripts: single increments to random counters of 10,000; batches; reads.
cat > "$work/inc.lua" << 'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"delta":1}'
request = function()
  return wrk.format(nil, "/v1/counters/bench:c" .. math.random(0, 9999) .. "/increments")
end
EOF
sed 's/wrk.body = /wrk.headers["Prefer"] = "respond-async"\nwrk.body = /' "$work/inc.lua" > "$work/async.lua"
cat > "$work/batch.lua" << 'EOF'
wrk.method = "POST"
wrk.path = "/v1/events"
wrk.headers["Content-Type"] = "application/x-ndjson"
local lines = {}
for i = 1, 1000 do
  lines[i] = '{"counter":"bench:b' .. math.random(0, 99999) .. '","delta":1}'
end
wrk.body = table.concat(lines, "\n")
EOF
# Something to read: counters with items.
for i in $(seq 0 9); do
  body=""
  for j in $(seq 1 100); do body+="{\"counter\":\"bench:r$i\",\"item\":\"u$j\"}"$'\n'; done
  curl -sf -X POST -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$base/v1/events" > /dev/null
done

results="$work/results.tsv"
: > "$results"
# name, connections, threads, path or script, events per request
run() {
  local name=$1 connections=$2 threads=$3 target=$4 per=$5 out
  if [[ "$target" == *.lua ]]; then
    out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/$target" "$base" 2>&1)"
  else
    out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$base$target" 2>&1)"
  fi
  python3 - "$name" "$per" "$out" >> "$results" << 'EOF'
import re, sys
name, per, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print("\t".join([name, f"{rps:.0f}", f"{rps * per:.0f}", f"{pct.get('50', 0):.2f}", f"{pct.get('90', 0):.2f}",
                 f"{pct.get('99', 0):.2f}", errors.group(1) if errors else "0"]))
EOF
}
# One client, timed by OneClient: name, seconds, paths file, then body and headers for a POST.
one() {
  local name=$1 paths=$2; shift 2
  java -cp bench/target/classes dev.tally.bench.OneClient "$name" "$http_port" "${duration%s}" "$work/$paths" "$@" >> "$results"
}
seq 0 9999 | sed 's#^#/v1/counters/bench:c#; s#$#/increments#' > "$work/increments.txt"
echo "/v1/counters/bench:r1" > "$work/point.txt"
# A warm-up of every kind of request, unmeasured, so that the first rows do not time the JIT compiler.
# Increments take longest: on a slow day the 64-client rate still rose for 40 s of load (5,839/s in
# the first 10 s, 12,138/s in the fourth, the JIT compiler busy throughout), so they get four rounds.
for target in inc.lua inc.lua inc.lua async.lua; do
  wrk -t2 -c64 -d"$duration" -s "$work/$target" "$base" > /dev/null 2>&1
done
one "increment, 1 client" increments.txt '{"delta":1}'
run "increment, 64 clients" 64 2 inc.lua 1
one "increment respond-async, 1 client" increments.txt '{"delta":1}' "Prefer: respond-async"
run "increment respond-async, 64 clients" 64 2 async.lua 1
run "batch of 1,000, 4 clients" 4 2 batch.lua 1000
# The read targets are for an idle instance: let it count the increments and batches above first
# (its input lag, as /v1/instances reports it, back to 0).
for _ in $(seq 1 600); do
  lag="$(curl -sf "$base/v1/instances" | python3 -c 'import json,sys; lags = [i["lag"] for i in json.load(sys.stdin)]; print(0 if all(l == 0 for l in lags) else lags)' 2> /dev/null || echo -1)"
  [[ "$lag" == "0" ]] && break
  sleep 0.5
done
[[ "$lag" == "0" ]] || echo "the reads start with the instance still counting (lag $lag)" >&2
# The reads' warm-up, here rather than at the start: after the write rows the JIT compiler was still
# busy (72% of a core with the instance idle), and reads warmed for 3 s at the start, then timed after
# the writes, came out well under what the same build answered warmed right before (docs/benchmarks.md).
for target in /v1/counters/bench:r1 "/v1/counters/bench:r1/last?window=PT15M" \
    "/v1/counters/bench:r1/uniques?window=P1D"; do
  wrk -t2 -c16 -d"$duration" "$base$target" > /dev/null 2>&1
done
# What the HTTP stack alone answers (Jetty, Javalin, JSON; no store read): the reads' ceiling here.
run "GET /health/live (HTTP stack alone), 16 clients" 16 2 /health/live 1
one "point read, 1 client" point.txt
run "point read, 1 client (wrk -c1)" 1 1 /v1/counters/bench:r1 1
run "point read, 16 clients" 16 2 /v1/counters/bench:r1 1
run "last PT15M, 16 clients" 16 2 "/v1/counters/bench:r1/last?window=PT15M" 1
run "uniques P1D, 16 clients" 16 2 "/v1/counters/bench:r1/uniques?window=P1D" 1

# Routed reads: a second instance joins the same application on the first one's broker, and the first
# is asked for counters whose partition the second holds, so that every read crosses to it.
peer_port="$(free_port)"
java -Xmx1g -jar app/target/tally.jar serve --bootstrap-servers "127.0.0.1:$kafka_port" --replication-factor 1 \
  --data-dir "$work/peer" --port "$peer_port" --internal-port "$(free_port)" --application-id "bench-http" \
  --streams-config acceptable.recovery.lag=1000000000 > "$work/peer.log" 2>&1 &
peer_pid=$!
instances() {
  curl -sf "$base/v1/instances" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(sum(1 for i in d if i["state"] == "RUNNING" and i["lag"] == 0 and any(p.startswith("tally.increments-") for p in i["activePartitions"])))' 2> /dev/null || echo 0
}
for _ in $(seq 1 240); do [[ "$(instances)" == "2" ]] && break; sleep 0.5; done
[[ "$(instances)" == "2" ]] || { echo "the second instance did not take partitions:" >&2; tail -20 "$work/peer.log" >&2; exit 1; }
body=""
for j in $(seq 0 199); do body+="{\"counter\":\"bench:q$j\"}"$'\n'; done
curl -sf -X POST -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$base/v1/events" > /dev/null
# Which partition each counter lands on: Tally's own ShardKeys.partitionOf, Kafka's default partitioner.
cat > "$work/Partition.java" << 'EOF'
import dev.tally.schemas.ShardKeys;
import java.nio.charset.StandardCharsets;

public class Partition {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) {
      System.out.println(args[i] + " " + ShardKeys.partitionOf(args[i].getBytes(StandardCharsets.UTF_8), partitions));
    }
  }
}
EOF
curl -sf "$base/v1/instances" > "$work/instances.json"
partitions="$(python3 -c 'import json, sys
print(sum(1 for i in json.load(sys.stdin) for p in i["activePartitions"] if p.startswith("tally.increments-")))' \
  < "$work/instances.json")"
java -cp "app/target/lib/*" "$work/Partition.java" "$partitions" $(printf 'bench:q%d ' $(seq 0 199)) > "$work/partitions.txt"
python3 - "$work/instances.json" "$work/partitions.txt" "$work/routed.txt" > "$work/routed.lua" << 'EOF'
import json, sys
here = {int(p.rsplit("-", 1)[1]) for i in json.load(open(sys.argv[1])) if i["self"]
        for p in i["activePartitions"] if p.startswith("tally.increments-")}
keys = [key for key, partition in (line.split() for line in open(sys.argv[2])) if int(partition) not in here]
print("local keys = {" + ",".join('"%s"' % k for k in keys) + "}")
print('request = function() return wrk.format("GET", "/v1/counters/" .. keys[math.random(#keys)]) end')
open(sys.argv[3], "w").write("".join("/v1/counters/%s\n" % k for k in keys))
EOF
# The routed path warms up on its own: its first seconds time the JIT compiler.
wrk -t2 -c16 -d15s -s "$work/routed.lua" "$base" > /dev/null 2>&1
one "routed point read, 1 client" routed.txt
run "routed point read, 16 clients" 16 2 routed.lua 1
kill "$peer_pid" && wait "$peer_pid" 2> /dev/null || true
peer_pid=""
kill "$tally_pid" && wait "$tally_pid" 2> /dev/null || true
tally_pid=""

if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
  redis-server --port "$redis_port" --dir "$work" --appendonly yes --appendfsync everysec --save "" \
    > "$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping > /dev/null 2>&1 && break; sleep 0.1; done
  redis_run() {
    local name=$1; shift
    local csv
    csv="$(redis-benchmark -p "$redis_port" -n 200000 -r 1000000 --csv "$@" 2>/dev/null | tail -1)"
    python3 - "$name" "$csv" >> "$results" << 'EOF'
import csv, sys
row = next(csv.reader([sys.argv[2]]))
# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
print("\t".join(["redis: " + sys.argv[1], f"{float(row[1]):.0f}", f"{float(row[1]):.0f}", row[4], row[5], row[6], "0"]))
EOF
  }
  redis_run "INCRBY over 1M keys, 1 client" -c 1 INCRBY 'key:__rand_int__' 1
  redis_run "INCRBY over 1M keys, 50 clients" -c 50 INCRBY 'key:__rand_int__' 1
  redis_run "INCRBY over 1M keys, -P 64" -c 50 -P 64 INCRBY 'key:__rand_int__' 1
  redis_run "INCRBY one hot key, 50 clients" -c 50 INCRBY hot 1
  redis_run "PFADD, 50 clients" -c 50 PFADD hll 'item:__rand_int__'
  redis_run "GET, 1 client" -c 1 GET 'key:__rand_int__'
  redis_run "GET, 16 clients" -c 16 GET 'key:__rand_int__'
  redis_run "PFCOUNT, 16 clients" -c 16 PFCOUNT hll
fi

mkdir -p bench/results
python3 - "$results" bench/results/http-latest.json << 'EOF'
import json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
keys = ["requestsPerSecond", "eventsPerSecond", "p50Ms", "p90OrP95Ms", "p99Ms", "non2xx"]
out = {r[0]: dict(zip(keys, [float(x) for x in r[1:]])) for r in rows}
json.dump(out, open(sys.argv[2], "w"), indent=2)
print(f"{'what':44} {'req/s':>10} {'events/s':>10} {'p50 ms':>8} {'p90/95':>8} {'p99 ms':>8} {'non-2xx':>8}")
for r in rows:
    print(f"{r[0]:44} {float(r[1]):>10,.0f} {float(r[2]):>10,.0f} {float(r[3]):>8.2f} {float(r[4]):>8.2f} {float(r[5]):>8.2f} {r[6]:>8}")
print("(wrk reports p90, redis-benchmark p95)")
EOF
