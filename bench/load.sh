#!/usr/bin/env bash
# Load benchmark of the health endpoints against a hand-written axum handler
# returning the same JSON (the ceiling), all on 127.0.0.1, bounded in time.
#
#   bench/load.sh                 # 7 rounds of 4 s per route, 64 connections
#   SECONDS_PER_RUN=2 ROUNDS=3 bench/load.sh
#
# wrk and the server share this machine's cores, and throughput drifts from
# minute to minute; so each round measures the ceiling and both modes side by
# side, each mode's ratio is taken against the ceiling of its own round, and
# the median ratio over the rounds is reported.
#
# Prints requests/s and p99 latency per route and round, the median ratios,
# and whether 1,000 concurrent requests ran a cached check once. Exits
# non-zero if a goal is missed: on request >= 0.85x, background >= 0.95x, one
# cached run.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
ROUNDS=${ROUNDS:-7}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${LOAD_PORT:-18090}
BASE="http://127.0.0.1:${PORT}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi

cargo build --quiet --release --example load_target
LOAD_PORT=$PORT target/release/examples/load_target &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "$BASE/hand" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$BASE/background" >/dev/null || sleep 1

# Same JSON shape on every route (times differ).
for route in /hand /on-request /background; do
  curl -sf "$BASE$route" | tr -d '0-9.' | md5sum
done | uniq | wc -l | grep -qx 1 || { echo "the routes do not answer the same JSON" >&2; exit 1; }

# "requests/s p99_ms" of one wrk run.
measure() {
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$BASE$1" | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
               ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
    / Non-2xx/ { bad = 1 }
    END { if (bad) { print "non-2xx responses" > "/dev/stderr"; exit 1 } printf "%s %s\n", rps, ms }'
}

for route in /hand /on-request /background; do
  wrk -t1 -c"$CONNECTIONS" -d2s "$BASE$route" >/dev/null   # warm-up
done
declare -A RATIOS P99
for round in $(seq "$ROUNDS"); do
  read -r hand hand_p99 < <(measure /hand)
  line="round $round: /hand $hand req/s (p99 $hand_p99 ms)"
  P99[/hand]=$(awk -v a="${P99[/hand]:-0}" -v b="$hand_p99" 'BEGIN { print (b > a) ? b : a }')
  for route in /on-request /background; do
    read -r rps p99 < <(measure "$route")
    ratio=$(awk -v r="$rps" -v h="$hand" 'BEGIN { printf "%.3f", r / h }')
    RATIOS[$route]="${RATIOS[$route]:-} $ratio"
    P99[$route]=$(awk -v a="${P99[$route]:-0}" -v b="$p99" 'BEGIN { print (b > a) ? b : a }')
    line="$line, $route $rps req/s (p99 $p99 ms, ${ratio}x)"
  done
  echo "$line"
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "route        median ratio to the ceiling   worst p99 ms   goal"
status=0
printf "%-12s %29s %14s\n" /hand 1 "${P99[/hand]}"
for route in /on-request /background; do
  ratio=$(echo "${RATIOS[$route]}" | median)
  case $route in
    /on-request) goal=0.85 ;;
    /background) goal=0.95 ;;
  esac
  printf "%-12s %29s %14s %6s\n" "$route" "$ratio" "${P99[$route]}" ">= $goal"
  awk -v r="$ratio" -v g="$goal" 'BEGIN { exit !(r >= g) }' || { echo "  below the goal" >&2; status=1; }
done

echo
wrk -t1 -c1000 -d3s "$BASE/cached" >/dev/null
runs=$(curl -sf "$BASE/runs")
echo "1,000 concurrent connections for 3 s against a cached check: it ran ${runs} time(s)"
[ "$runs" = 1 ] || status=1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
exit $status
