#!/usr/bin/env bash
# Dependencies killed, restarted, hung (SIGSTOP) and resumed (SIGCONT) under
# load: the test tests/probes/under_load.rs with longer phases. It starts its
# own PostgreSQL (initdb, pg_ctl) and redis-server on free ports of
# 127.0.0.1, serves /health/ready with the built-in probes, and loads it with
# wrk and its own clients. Prints the timeline (status per second, errors,
# p99), also left in target/kill-under-load.txt.
#
#   bench/kill.sh                       # 10 s per phase, 9 phases
#   KILL_PHASE_SECONDS=5 bench/kill.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/wrk.sh
for binary in initdb pg_ctl redis-server; do
  command -v "$binary" >/dev/null || { echo "$binary is needed" >&2; exit 1; }
done
KILL_PHASE_SECONDS=${KILL_PHASE_SECONDS:-10} cargo test --all-features --test probes under_load -- --nocapture
