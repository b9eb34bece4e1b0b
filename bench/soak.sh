#!/usr/bin/env bash
# Soak: 1,000,000 requests to the health endpoints in each mode (on request,
# then background), alternating a derived report and a registry of the same
# checks (an instant one, a cached one, one of 5 ms), with clients that hang
# up mid-response throughout (20,000 in the warm-up, 2,000 in the next
# stretch, 20,000 in the last); all on 127.0.0.1 (examples/soak_target.rs).
#
#   bench/soak.sh                   # 1,000,000 requests per mode
#   REQUESTS=100000 bench/soak.sh   # a shorter run (samples at 1 %, 10 %, 100 %)
#
# Prints, per mode, the server's resident memory (VmRSS) and the Tokio
# runtime's live tasks after 1 %, 10 % and 100 % of the requests (10 k, 100 k,
# 1 M), each read once the server is idle, and the growth after warm-up (the
# first 10 k). Exits non-zero if memory grows by 1 MiB or more after warm-up,
# or live tasks by any, in either mode.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-1000000}
DISCONNECTS=${DISCONNECTS:-20000}
PORT=${SOAK_PORT:-18095}
BASE="http://127.0.0.1:${PORT}"

. bench/wrk.sh
cargo build --quiet --release --example soak_target

SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null || true' EXIT
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status"; }
tasks() { curl -sf "$BASE/runtime" | sed 's/.*"alive_tasks":\([0-9]*\).*/\1/'; }
# Requests answered by wrk, and its non-2xx count.
load() {
  local flag
  flag=$(mktemp -u)
  wrk -t1 -c32 -d3600s -s bench/soak.lua "$BASE" -- "$1" "$flag" > target/soak-wrk.log &
  local wrk_pid=$!
  while [ ! -e "$flag" ] && kill -0 "$wrk_pid" 2>/dev/null; do sleep 0.2; done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  rm -f "$flag"
  awk '
    /requests in/ { n = $1 } / Non-2xx/ { bad = $NF } /Socket errors/ { err = $0 }
    END { printf "%s %s\n", n, bad + 0; if (err) print err > "/dev/stderr" }' target/soak-wrk.log
}

failed=0
for mode in ${MODES:-on-request background}; do
  SOAK_MODE=$mode SOAK_PORT=$PORT target/release/examples/soak_target &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$BASE/runtime" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== $mode"
  done_requests=0
  declare -A RSS TASKS
  for share in 1 10 100; do
    target=$((REQUESTS * share / 100))
    # Clients hanging up mid-response in every stretch, as many in the
    # warm-up as in the last: the reports they abandon raise the number of
    # tasks alive at once, and the memory that takes stays with the allocator
    # as a high-water mark, which the warm-up is there to reach.
    hangups=$((share == 10 ? DISCONNECTS / 10 : DISCONNECTS))
    python3 bench/disconnect.py 127.0.0.1 "$PORT" /derived/health "$hangups" > target/soak-disconnect.log &
    DISCONNECTER=$!
    read -r answered bad < <(load $((target - done_requests)))
    wait "$DISCONNECTER"
    done_requests=$((done_requests + answered))
    sleep 2   # idle: in-flight reports end, dropped ones are gone
    RSS[$share]=$(rss_kib)
    TASKS[$share]=$(tasks)
    echo "  after ${done_requests} requests ($(cat target/soak-disconnect.log) more): RSS ${RSS[$share]} KiB, live tasks ${TASKS[$share]}, non-2xx ${bad}"
  done
  growth=$((RSS[100] - RSS[1]))
  echo "  growth after warm-up: ${growth} KiB of memory, $((TASKS[100] - TASKS[1])) live tasks"
  if [ "$growth" -ge 1024 ] || [ "${TASKS[100]}" -gt "${TASKS[1]}" ]; then failed=1; fi
  kill $SERVER
  wait $SERVER 2>/dev/null || true
  SERVER=""
done
if [ "$failed" = 1 ]; then
  echo "goal missed: under 1 MiB and no live task more after warm-up, in both modes" >&2
  exit 1
fi
echo "goal met: under 1 MiB and no live task more after warm-up, in both modes"
