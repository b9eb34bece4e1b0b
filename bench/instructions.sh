#!/usr/bin/env bash
# Instructions per report, derive against hand-written, counted by callgrind:
# deterministic where wall-clock timings on a shared machine drift.
#
#   bench/instructions.sh
#
# Runs benches/instructions.rs (release) under callgrind for 1,000 and 2,000
# iterations of each report; the difference divided by 1,000 is one iteration
# without start-up. Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
binary=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$@" 2>&1 |
    awk '/Collected :/ { print $NF }'
}
per_iteration() {
  local small large
  small=$(count "$1" 1000 ${2:-})
  large=$(count "$1" 2000 ${2:-})
  echo $(( (large - small) / 1000 ))
}
block_on=$(per_iteration block-on)
printf '%-22s %8s %14s\n' "" "per iteration" "net of block_on"
printf '%-22s %8s %14s\n' "block_on(async {})" "$block_on" "-"
declare -A net
for which in derive by-hand damped; do
  for json in "" json; do
    n=$(per_iteration "$which" "$json")
    net[$which$json]=$((n - block_on))
    printf '%-22s %8s %14s\n' "$which${json:+, with JSON}" "$n" "${net[$which$json]}"
  done
done
for which in monitor-no-history monitor service-by-hand service service-hidden-by-hand service-hidden refresh refresh-traced; do
  n=$(per_iteration "$which")
  net[$which]=$((n - block_on))
  printf '%-22s %8s %14s\n' "$which" "$n" "${net[$which]}"
done
awk -v d="${net[derive]}" -v h="${net[by-hand]}" -v dj="${net[derivejson]}" -v hj="${net[by-handjson]}" \
  -v t="${net[damped]}" -v m="${net[monitor]}" -v n="${net[monitor-no-history]}" \
  -v s="${net[service]}" -v sh="${net[service-by-hand]}" -v x="${net[service-hidden]}" -v xh="${net[service-hidden-by-hand]}" \
  -v r="${net[refresh]}" -v rt="${net[refresh-traced]}" \
  'BEGIN { printf "derive / by hand: %.3f, with JSON %.3f; thresholds on every check / none: %.3f; monitor read, history / none: %.3f; GET /health on request / by hand: %.3f, statuses only %.3f; background refresh traced / not: %.3f\n", d / h, dj / hj, t / d, m / n, s / sh, x / xh, rt / r }'
