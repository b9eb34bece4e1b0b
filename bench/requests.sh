#!/usr/bin/env bash
# Instructions the server spends per request, each health mode against its
# hand-written ceiling, counted by callgrind: deterministic where the
# throughput of bench/load.sh drifts from run to run on a shared machine.
#
#   bench/requests.sh            # 2,000 requests per route
#   REQUESTS=500 bench/requests.sh
#
# Runs examples/load_target.rs (release, LOAD_QUIET: nothing in the
# background) under callgrind, one server per route: after 200 requests of
# warm-up the counters are zeroed, REQUESTS requests are sent on one
# kept-alive connection by a Python client (not counted), and the counters
# are dumped. The whole stack is counted: hyper, axum's routing, the
# handler or the endpoints. Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
REQUESTS=${REQUESTS:-2000}
PORT=${LOAD_PORT:-18093}
cargo build --quiet --release --example load_target
out=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$out"' EXIT

# Sends $2 GET requests to route $1 on one connection.
send() {
  python3 - "$PORT" "$1" "$2" <<'PY'
import http.client, sys
port, route, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(count):
    connection.request("GET", route)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, (route, response.status)
PY
}

# Instructions per request of route $1.
per_request() {
  LOAD_QUIET=1 LOAD_PORT=$PORT valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
    target/release/examples/load_target >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/hand" >/dev/null 2>&1 && break; sleep 0.1; done
  send "$1" 200
  callgrind_control -z "$server" >/dev/null 2>&1
  send "$1" "$REQUESTS"
  callgrind_control -d "$server" >/dev/null 2>&1
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  local total
  total=$(cat "$out"/cg.*.[0-9]* 2>/dev/null | awk '/^summary:|^totals:/ { print $2; exit }')
  rm -f "$out"/cg.*
  echo $(( total / REQUESTS ))
}

printf '%-20s %-14s %14s %14s %8s\n' route ceiling "instructions" "ceiling's" ratio
for pair in /on-request:/hand /on-request-hidden:/hand-hidden /slow-on-request:/hand-slow /background:/hand-static; do
  route=${pair%%:*} ceiling=${pair##*:}
  ours=$(per_request "$route")
  theirs=$(per_request "$ceiling")
  printf '%-20s %-14s %14s %14s %8s\n' "$route" "$ceiling" "$ours" "$theirs" \
    "$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.3f", a / b }')"
done
echo "(ratio: the ceiling's instructions per request over the route's, as requests per instruction: 1 is parity)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
