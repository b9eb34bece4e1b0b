#!/usr/bin/env bash
# /health/live under attack on its own port: 5,000 slow-loris connections
# (half a request head, reopened as soon as the server closes one) and a wrk
# flood of /health, which runs the checks, against the example service with
# `serve`'s defaults (5 s header-read timeout, 1,024 connections). All on
# 127.0.0.1, bounded in time.
#
#   bench/slowloris.sh                     # 5,000 connections, 20 s under attack
#   LORIS=1000 SECONDS_UNDER_ATTACK=5 bench/slowloris.sh
#
# Probe clients of their own (curl, a new connection each time, as a kubelet
# makes) ask for /health/live every 100 ms, on the attacked port and on the
# example's probe lane (PROBE_PORT: a listener on a thread and runtime of its
# own), first for 5 s with no attack (the baseline, same run), then under
# attack. Prints each probe's latencies (p50, p99, max) and failures, the
# attack's own counts, and the ratio of p99 under attack to the baseline's.
# Exits non-zero if a probe fails or takes 100 ms or more, on either port.
set -euo pipefail
cd "$(dirname "$0")/.."

LORIS=${LORIS:-5000}
SECONDS_UNDER_ATTACK=${SECONDS_UNDER_ATTACK:-20}
PORT=${BENCH_PORT:-18093}
LANE=$((PORT + 2))
BASE="http://127.0.0.1:${PORT}"

. bench/wrk.sh
# The slow-loris clients' sockets, and the server's.
ulimit -n "$(ulimit -Hn)"

cargo build --quiet --release --example service
DATA_DIR=$(mktemp -d)
PORT=$PORT GRPC_PORT=$((PORT + 1)) PROBE_PORT=$LANE DATA_DIR=$DATA_DIR DRAIN_MS=0 NO_COLOR=1 \
  target/release/examples/service >/dev/null 2>&1 &
SERVER=$!
PIDS=()
trap 'kill $SERVER "${PIDS[@]}" 2>/dev/null || true; rm -rf "$DATA_DIR"' EXIT
for _ in $(seq 100); do
  curl -sf "$BASE/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$BASE/health/live" >/dev/null && curl -sf "http://127.0.0.1:$LANE/health/live" >/dev/null \
  || { echo "the example service did not start on ports $PORT and $LANE" >&2; exit 1; }

# "code seconds" per probe of port $2, every 100 ms for $1 seconds.
probe() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ]; do
    curl -s -o /dev/null --max-time 2 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$2/health/live" || echo "000 2"
    sleep 0.1
  done
}

# "p50_ms p99_ms max_ms failures count" of probe lines.
summarize() {
  awk '{ n++; if ($1 != 200) bad++; ms[n] = $2 * 1000 }
    END { asort(ms); p50 = ms[int(n * 0.5) > 0 ? int(n * 0.5) : 1]; p99 = ms[int(n * 0.99) > 0 ? int(n * 0.99) : 1];
          printf "%.2f %.2f %.2f %d %d\n", p50, p99, ms[n], bad, n }'
}

echo "baseline: /health/live every 100 ms for 5 s, no attack"
read -r base_p50 base_p99 base_max base_bad base_n < <(probe 5 "$PORT" | summarize)
echo "  same port:  p50 ${base_p50} ms, p99 ${base_p99} ms, max ${base_max} ms, ${base_bad} failed of ${base_n}"
read -r lane_p50 lane_p99 lane_max lane_bad lane_n < <(probe 5 "$LANE" | summarize)
echo "  probe lane: p50 ${lane_p50} ms, p99 ${lane_p99} ms, max ${lane_max} ms, ${lane_bad} failed of ${lane_n}"

echo "attack on the main port: ${LORIS} slow-loris connections and wrk -c64 on /health for ${SECONDS_UNDER_ATTACK} s"
python3 bench/slowloris.py 127.0.0.1 "$PORT" "$LORIS" $((SECONDS_UNDER_ATTACK + 8)) > target/slowloris.log &
PIDS+=($!)
sleep 5   # every slow-loris connection opened, the cap full
wrk -t1 -c64 -d"$((SECONDS_UNDER_ATTACK + 1))s" "$BASE/health" > target/slowloris-wrk.log &
PIDS+=($!)
sleep 1
probe "$SECONDS_UNDER_ATTACK" "$PORT" > target/slowloris-same-port.log &
probe "$SECONDS_UNDER_ATTACK" "$LANE" > target/slowloris-lane.log
wait "${PIDS[@]}" 2>/dev/null || true
read -r p50 p99 max bad n < <(summarize < target/slowloris-same-port.log)
echo "  same port:  p50 ${p50} ms, p99 ${p99} ms, max ${max} ms, ${bad} failed of ${n}; p99 ${p99} / ${base_p99} = $(awk -v a="$p99" -v b="$base_p99" 'BEGIN { printf "%.0fx", a / b }')"
read -r l50 l99 lmax lbad ln < <(summarize < target/slowloris-lane.log)
echo "  probe lane: p50 ${l50} ms, p99 ${l99} ms, max ${lmax} ms, ${lbad} failed of ${ln}; p99 ${l99} / ${lane_p99} = $(awk -v a="$l99" -v b="$lane_p99" 'BEGIN { printf "%.0fx", a / b }')"
echo "  wrk on /health: $(awk '/Requests\/sec/ { print $2 " req/s" } /Non-2xx/ { print $0 }' target/slowloris-wrk.log | paste -sd' ')"
echo "  slow loris: $(grep '^open=' target/slowloris.log | sort -t= -k2 -n | tail -1 | cut -d' ' -f1) at most, $(tail -1 target/slowloris.log)"
if [ "$bad" -gt 0 ] || [ "$lbad" -gt 0 ] || awk -v m="$lmax" -v n="$max" 'BEGIN { exit !(m >= 100 || n >= 100) }'; then
  echo "goal missed: every probe answered within 100 ms, on both ports" >&2
  exit 1
fi
echo "goal met: every probe answered within 100 ms, on both ports"
