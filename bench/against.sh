#!/usr/bin/env bash
# The load benchmark of this tree against an earlier revision, in one run:
# both servers on 127.0.0.1, their routes measured side by side in each round.
#
#   bench/against.sh <revision>        # e.g. bench/against.sh 54e66d7
#   ROUNDS=7 SECONDS_PER_RUN=4 bench/against.sh HEAD~5
#
# Builds examples/load_target.rs at <revision> (in a temporary worktree) and
# here, serves both, and measures in each round, back to back: the hand-written
# ceilings and /on-request and /background of each build. Prints each mode's
# median ratio to its ceiling for both builds, and the median ratio of this
# build to the earlier one: below 1 means slower now.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: $0 <revision>" >&2; exit 2; }
ROUNDS=${ROUNDS:-7}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
CONNECTIONS=${CONNECTIONS:-64}
NEW_PORT=18091
OLD_PORT=18092

command -v wrk >/dev/null || { echo "wrk is needed: bench/load.sh installs it" >&2; exit 1; }
worktree=$(mktemp -d)
git worktree add --quiet --detach "$worktree" "$1"
trap 'kill $NEW $OLD 2>/dev/null || true; git worktree remove --force "$worktree"' EXIT
# Its own target directory: the two builds share nothing but the registry.
(cd "$worktree" && CARGO_TARGET_DIR="$PWD/../baseline-target" cargo build --quiet --release --example load_target)
cargo build --quiet --release --example load_target
LOAD_PORT=$NEW_PORT target/release/examples/load_target &
NEW=$!
LOAD_PORT=$OLD_PORT "$worktree/../baseline-target/release/examples/load_target" &
OLD=$!
for port in $NEW_PORT $OLD_PORT; do
  for _ in $(seq 100); do curl -sfI "http://127.0.0.1:$port/background" | grep -qi '^age:' && break; sleep 0.1; done
done

measure() {
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$1" | awk '
    /Requests\/sec/ { rps = $2 }
    / Non-2xx/ || /Socket errors/ { bad = 1 }
    END { if (bad) { print "errors" > "/dev/stderr"; exit 1 } print rps }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

declare -A R
routes="hand new:/on-request old:/on-request hand-static new:/background old:/background"
for route in $routes; do
  case $route in hand|hand-static) url="http://127.0.0.1:$NEW_PORT/$route" ;; new:*) url="http://127.0.0.1:$NEW_PORT${route#new:}" ;; old:*) url="http://127.0.0.1:$OLD_PORT${route#old:}" ;; esac
  wrk -t1 -c"$CONNECTIONS" -d2s "$url" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  declare -A rps
  for route in $routes; do
    case $route in hand|hand-static) url="http://127.0.0.1:$NEW_PORT/$route" ;; new:*) url="http://127.0.0.1:$NEW_PORT${route#new:}" ;; old:*) url="http://127.0.0.1:$OLD_PORT${route#old:}" ;; esac
    rps[$route]=$(measure "$url")
  done
  for mode in on-request background; do
    ceiling=$([ $mode = on-request ] && echo hand || echo hand-static)
    R[new-$mode]="${R[new-$mode]:-} $(ratio "${rps[new:/$mode]}" "${rps[$ceiling]}")"
    R[old-$mode]="${R[old-$mode]:-} $(ratio "${rps[old:/$mode]}" "${rps[$ceiling]}")"
    R[vs-$mode]="${R[vs-$mode]:-} $(ratio "${rps[new:/$mode]}" "${rps[old:/$mode]}")"
  done
  echo "round $round: $(for route in $routes; do printf '%s %.0f  ' "$route" "${rps[$route]}"; done)"
done
echo
printf "%-11s %-22s %-22s %s\n" mode "this tree / ceiling" "$1 / ceiling" "this tree / $1"
for mode in on-request background; do
  printf "%-11s %-22s %-22s %s\n" "$mode" "$(echo "${R[new-$mode]}" | median)" "$(echo "${R[old-$mode]}" | median)" "$(echo "${R[vs-$mode]}" | median)"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
