#!/usr/bin/env bash
# Load benchmark of the health endpoints against hand-written axum handlers
# returning the same JSON (the ceilings), all on 127.0.0.1, bounded in time.
#
#   bench/load.sh                 # 7 rounds of 4 s per route, 64 connections
#   SECONDS_PER_RUN=2 ROUNDS=3 bench/load.sh
#   LOAD_SERVER=actix bench/load.sh   # the same over actix-web (native adapter)
#   LOAD_PIN=1 bench/load.sh          # server and wrk on cores of their own
#
# Each mode against its ceiling, a hand-written axum handler answering the
# same JSON (examples/load_target.rs):
#   /on-request         3 instant checks, details shown   /hand         runs them on each request
#   /on-request-hidden  the same, statuses only           /hand-hidden  the same, statuses only
#   /slow-on-request    3 checks of 20 ms, details shown  /hand-slow    runs them on each request
#   /background         refreshed once a second           /hand-static  a report serialized once a second
# wrk and the server share this machine's cores, and throughput drifts from
# minute to minute; so each round measures every route side by side (a mode
# and its ceiling back to back, in alternating order), each mode's ratio is
# taken against its ceiling in the same round, and the median ratio over the
# rounds is reported with its range. Beside requests/s, requests per second
# of the server's CPU time (user + system, from /proc), which drifts less:
# what a request costs the server.
#
# With 20 ms checks both sides are bound by latency, not by work: each of
# the 64 connections waits about 20 ms per request whether its request
# starts the checks or joins the runs under way, so requests/s is about the
# same. What sharing the runs changes is the work behind them: the script
# also counts the slow checks' runs per request (what a dependency behind
# them would answer), and the server CPU per request.
#
# Prints requests/s and p99 latency per route and round, the median ratios
# (of requests/s, of requests per server CPU-second, and of p99 latency),
# the slow checks' runs per request, and whether 1,000 concurrent requests
# ran a cached check once. Exits non-zero if a goal is missed: every mode
# >= 0.95x its ceiling in requests/s, the 20 ms checks' runs per request on
# request at most a tenth of the handler's, one cached run; over actix-web
# also on request >= 1.0x, its p99 at most the handler's (median of the
# per-round ratios) and background >= 1.2x the handler that runs the checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
ROUNDS=${ROUNDS:-7}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${LOAD_PORT:-18090}
BASE="http://127.0.0.1:${PORT}"

. bench/wrk.sh

cargo build --quiet --release --example load_target
SERVER_KIND=${LOAD_SERVER:-axum}
# LOAD_PIN=1: the server on the last core and wrk on the others, so that
# neither takes the other's CPU (the server then has one worker).
SERVER_CPUS=() CLIENT_CPUS=()
if [ -n "${LOAD_PIN:-}" ]; then
  last=$(($(nproc) - 1))
  SERVER_CPUS=(taskset -c "$last") CLIENT_CPUS=(taskset -c "0-$((last - 1))")
fi
LOAD_SERVER=$SERVER_KIND LOAD_PORT=$PORT "${SERVER_CPUS[@]}" target/release/examples/load_target &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "$BASE/hand" >/dev/null 2>&1 && break
  sleep 0.1
done
# Background answers carry an Age header once the first report is in.
for _ in $(seq 100); do
  curl -sfI "$BASE/background" | grep -qi '^age:' && break
  sleep 0.1
done

# Each mode and its ceiling, and the goal of their ratio.
MODES=(/on-request /on-request-hidden /slow-on-request /background)
declare -A CEILING=([/on-request]=/hand [/on-request-hidden]=/hand-hidden [/slow-on-request]=/hand-slow [/background]=/hand-static)
declare -A GOAL=([/on-request]=0.95 [/on-request-hidden]=0.95 [/slow-on-request]=0.95 [/background]=0.95)
if [ "$SERVER_KIND" = actix ]; then
  GOAL=([/on-request]=1.0 [/on-request-hidden]=0.95 [/slow-on-request]=0.95 [/background]=0.95)
fi

# The same JSON shape from a mode and its ceiling (times differ).
for route in "${MODES[@]}"; do
  for each in "$route" "${CEILING[$route]}"; do
    curl -sf "$BASE$each" | tr -d '0-9.' | md5sum
  done | uniq | wc -l | grep -qx 1 || { echo "$route and ${CEILING[$route]} do not answer the same JSON" >&2; exit 1; }
done

# The server's CPU time so far, in clock ticks (user + system).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
TICKS=$(getconf CLK_TCK)

# "requests/s p99_ms requests_per_cpu_second slow_runs_per_request" of one wrk run.
measure() {
  local before after runs_before runs_after
  runs_before=$(curl -sf "$BASE/slow-runs")
  before=$(cpu_ticks)
  "${CLIENT_CPUS[@]}" wrk -t"${THREADS:-1}" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$BASE$1" > /tmp/health-load-wrk.txt
  after=$(cpu_ticks)
  runs_after=$(curl -sf "$BASE/slow-runs")
  awk -v ticks=$((after - before)) -v hz="$TICKS" -v runs=$((runs_after - runs_before)) '
    /Requests\/sec/ { rps = $2 }
    /requests in/ { requests = $1 }
    /^ +99%/ { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
               ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
    / Non-2xx/ { bad = "non-2xx responses" }
    /Socket errors/ { bad = $0 }
    END { if (bad) { print bad > "/dev/stderr"; exit 1 } printf "%s %s %.0f %.4f\n", rps, ms, requests / (ticks / hz), runs / requests }' /tmp/health-load-wrk.txt
}

for route in "${MODES[@]}"; do
  for each in "${CEILING[$route]}" "$route"; do
    "${CLIENT_CPUS[@]}" wrk -t1 -c"$CONNECTIONS" -d2s "$BASE$each" >/dev/null   # warm-up
  done
done
declare -A RATIOS CPU_RATIOS P99_RATIOS P99 ROUND_P99 RPS PER_CPU SLOW_RUNS
for round in $(seq "$ROUNDS"); do
  line="round $round:"
  for route in "${MODES[@]}"; do
    order=("${CEILING[$route]}" "$route")
    [ $((round % 2)) = 0 ] && order=("$route" "${CEILING[$route]}")
    for each in "${order[@]}"; do
      read -r rps p99 per_cpu slow_runs < <(measure "$each")
      RPS[$each]=$rps
      SLOW_RUNS[$each]="${SLOW_RUNS[$each]:-} $slow_runs"
      PER_CPU[$each]=$per_cpu
      ROUND_P99[$each]=$p99
      P99[$each]=$(awk -v a="${P99[$each]:-0}" -v b="$p99" 'BEGIN { print (b > a) ? b : a }')
      line="$line $each $rps req/s, $per_cpu per CPU-s (p99 $p99 ms)"
    done
    ratio=$(awk -v r="${RPS[$route]}" -v h="${RPS[${CEILING[$route]}]}" 'BEGIN { printf "%.3f", r / h }')
    cpu_ratio=$(awk -v r="${PER_CPU[$route]}" -v h="${PER_CPU[${CEILING[$route]}]}" 'BEGIN { printf "%.3f", r / h }')
    RATIOS[$route]="${RATIOS[$route]:-} $ratio"
    P99_RATIOS[$route]="${P99_RATIOS[$route]:-} $(awk -v r="${ROUND_P99[$route]}" -v h="${ROUND_P99[${CEILING[$route]}]}" 'BEGIN { printf "%.3f", r / h }')"
    CPU_RATIOS[$route]="${CPU_RATIOS[$route]:-} $cpu_ratio"
    line="$line = ${ratio}x, ${cpu_ratio}x per CPU-s;"
  done
  # Background snapshots against the handler that runs the checks.
  BACKGROUND_HAND="${BACKGROUND_HAND:-} $(awk -v b="${RPS[/background]}" -v h="${RPS[/hand]}" 'BEGIN { printf "%.3f", b / h }')"
  BACKGROUND_HAND_CPU="${BACKGROUND_HAND_CPU:-} $(awk -v b="${PER_CPU[/background]}" -v h="${PER_CPU[/hand]}" 'BEGIN { printf "%.3f", b / h }')"
  echo "$line"
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
range_of() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
echo "route                ceiling        median ratio   range          per CPU-s   range          p99 ratio   worst p99 ms   goal"
status=0
for route in "${MODES[@]}"; do
  ratio=$(echo "${RATIOS[$route]}" | median)
  range=$(echo "${RATIOS[$route]}" | range_of)
  cpu_ratio=$(echo "${CPU_RATIOS[$route]}" | median)
  cpu_range=$(echo "${CPU_RATIOS[$route]}" | range_of)
  goal=${GOAL[$route]}
  p99_ratio=$(echo "${P99_RATIOS[$route]}" | median)
  printf "%-20s %-14s %12s   %-14s %9s   %-14s %9s   %12s   %s\n" "$route" "${CEILING[$route]}" "$ratio" "$range" \
    "$cpu_ratio" "$cpu_range" "$p99_ratio" "${P99[$route]}" ">= $goal"
  awk -v r="$ratio" -v g="$goal" 'BEGIN { exit !(r >= g) }' || { echo "  below the goal" >&2; status=1; }
done

echo "ceilings, worst p99: $(for route in "${MODES[@]}"; do printf '%s %s ms, ' "${CEILING[$route]}" "${P99[${CEILING[$route]}]}"; done)"
background_hand=$(echo "$BACKGROUND_HAND" | median)
background_hand_cpu=$(echo "$BACKGROUND_HAND_CPU" | median)
echo "/background against /hand (the checks run per request): median $background_hand, range $(echo "$BACKGROUND_HAND" | range_of); per CPU-s $background_hand_cpu, range $(echo "$BACKGROUND_HAND_CPU" | range_of)"
if [ "$SERVER_KIND" = actix ]; then
  awk -v r="$background_hand" 'BEGIN { exit !(r >= 1.2) }' || { echo "  background below 1.2x the handler in requests/s" >&2; status=1; }
  # p99 against the handler's in the same round, the median over rounds.
  p99_ratio=$(echo "${P99_RATIOS[/on-request]}" | median)
  awk -v r="$p99_ratio" 'BEGIN { exit !(r <= 1.0) }' \
    || { echo "  /on-request's p99 is above the handler's: median ratio $p99_ratio" >&2; status=1; }
fi
ours=$(echo "${SLOW_RUNS[/slow-on-request]}" | median)
theirs=$(echo "${SLOW_RUNS[/hand-slow]}" | median)
echo "20 ms checks, runs per request (median over rounds): /slow-on-request $ours, /hand-slow $theirs"
awk -v o="$ours" -v t="$theirs" 'BEGIN { exit !(o * 10 <= t) }' || { echo "  sharing the runs saves less than the goal (a tenth)" >&2; status=1; }
echo
if [ "$(ulimit -n)" -lt 2100 ]; then ulimit -n 4096 2>/dev/null || echo "warning: ulimit -n is $(ulimit -n)" >&2; fi
crowd=$(wrk -t1 -c1000 -d3s "$BASE/cached")
echo "$crowd" | grep -q "Socket errors" && { echo "$crowd" | grep "Socket errors" >&2; status=1; }
runs=$(curl -sf "$BASE/runs")
echo "1,000 concurrent connections for 3 s against a cached check that runs for 1 s: it ran ${runs} time(s)"
[ "$runs" = 1 ] || status=1
echo "server: $SERVER_KIND; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
exit $status
