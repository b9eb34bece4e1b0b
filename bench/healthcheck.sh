#!/usr/bin/env bash
# What `service healthcheck` costs: the release binary of a small service
# (axum, one check) built without and with the `healthcheck`
# client, and the client's run time against that service on 127.0.0.1,
# beside curl's for the same request.
#
#   bench/healthcheck.sh            # 30 runs of each client
#   RUNS=100 bench/healthcheck.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
root=$(pwd)
crate=target/healthcheck-bench
mkdir -p "$crate/src"
cat > "$crate/Cargo.toml" <<TOML
[package]
name = "healthcheck-bench"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
health-core = { path = "$root/health-core", features = ["axum"] }
tokio = { version = "1", features = ["rt-multi-thread", "net", "macros"] }

[features]
client = ["health-core/healthcheck"]

[profile.release]
strip = true
TOML
cat > "$crate/src/main.rs" <<'RUST'
use health_core::http::HealthService;
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};

#[health_check(timeout = "1s")]
async fn ping() {}

#[derive(HealthReport, Default)]
struct Health {
    ping: PingCheck,
}

fn main() -> std::process::ExitCode {
    #[cfg(feature = "client")]
    {
        use health_core::ops::healthcheck::{self, HealthcheckDefaults};
        if let Some(code) = healthcheck::run_if_requested(&HealthcheckDefaults::local(18097)) {
            return code;
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let health = HealthService::builder(Monitor::new(Health::default(), ())).build().expect("a service");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:18097").await.expect("the port");
        let monitor = health.monitor().clone();
        health_core::http::serve(listener, health.router(), monitor.shutdown_handle(), std::time::Duration::ZERO)
            .await
            .expect("served");
    });
    std::process::ExitCode::SUCCESS
}
RUST
export CARGO_TARGET_DIR="$root/target/healthcheck-bench-target"
cargo build --quiet --release --manifest-path "$crate/Cargo.toml"
cp "$CARGO_TARGET_DIR/release/healthcheck-bench" "$crate/without"
cargo build --quiet --release --manifest-path "$crate/Cargo.toml" --features client
cp "$CARGO_TARGET_DIR/release/healthcheck-bench" "$crate/with"
without=$(stat -c %s "$crate/without")
with=$(stat -c %s "$crate/with")

"$crate/with" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18097/health/ready >/dev/null 2>&1 && break; sleep 0.05; done
# Milliseconds of one run of "$@", RUNS times, the median.
median_ms() {
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    echo $(( ($(date +%s%N) - start) / 1000 ))
  done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'
}
ours=$(median_ms "$crate/with" healthcheck)
theirs=$(median_ms curl -sf http://127.0.0.1:18097/health/ready)
printf 'release binary, stripped: %d bytes without the client, %d with it: +%d bytes (+%.1f%%)\n' \
  "$without" "$with" $((with - without)) "$(awk -v a="$with" -v b="$without" 'BEGIN { print (a - b) * 100 / b }')"
printf 'one probe of /health/ready, median of %d runs: healthcheck %s ms, curl %s ms (%.2fx)\n' \
  "$RUNS" "$ours" "$theirs" "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print a / b }')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
