#!/usr/bin/env bash
# Queries a real PostgreSQL answers per second while 64 connections flood
# /health/ready, checks run on request, for this tree and an earlier
# revision, one after the other: what a flood of probes costs the database.
#
#   bench/queries.sh <revision>         # e.g. bench/queries.sh e7b751e
#   DATABASE_URL=postgres://… SECONDS_PER_RUN=10 bench/queries.sh HEAD~3
#
# Builds examples/load_target.rs of this tree at <revision> and here: its
# /pg/ready runs the built-in PostgreSQL probe on a pool of 4, critical. The
# queries are the database's committed transactions (pg_stat_database), read
# after the server has exited, so that every backend has reported. The
# answers are counted by the status their body begins with (bench/queries.lua).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: $0 <revision>" >&2; exit 2; }
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PORT=${LOAD_PORT:-18095}
. bench/wrk.sh
database=${DATABASE_URL##*/}
commits() { psql "$DATABASE_URL" -Atc "SELECT xact_commit FROM pg_stat_database WHERE datname = '$database'"; }

worktree=$(mktemp -d)
git worktree add --quiet --detach "$worktree" "$1"
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; git worktree remove --force "$worktree"' EXIT
# The same load target in both trees; each tree's own library.
cp examples/load_target.rs "$worktree/examples/load_target.rs"
(cd "$worktree" && CARGO_TARGET_DIR="$PWD/../queries-baseline-target" cargo build --quiet --release --example load_target)
cargo build --quiet --release --example load_target

run() {
  local name=$1 binary=$2 before after
  DATABASE_URL=$DATABASE_URL LOAD_PORT=$PORT "$binary" &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/pg/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  wrk -t1 -c64 -d2s "http://127.0.0.1:$PORT/pg/ready" >/dev/null   # warm-up
  before=$(commits)
  wrk -t1 -c64 -d"${SECONDS_PER_RUN}s" -s bench/queries.lua "http://127.0.0.1:$PORT/pg/ready" > /tmp/queries-wrk.txt
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  sleep 1
  after=$(commits)
  awk -v name="$name" -v q=$((after - before)) -v s="$SECONDS_PER_RUN" '
    /Requests\/sec/ { rps = $2 }
    /^answers:/ { answers = $0 }
    END { printf "%-10s %10.0f queries/s %10.0f requests/s   %s\n", name, q / s, rps, answers }' /tmp/queries-wrk.txt
}
run "$1" "$worktree/../queries-baseline-target/release/examples/load_target"
run "this tree" target/release/examples/load_target
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), PostgreSQL $(psql "$DATABASE_URL" -Atc 'SHOW server_version')"
