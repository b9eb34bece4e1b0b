#!/usr/bin/env bash
# Compile-time benchmark: what the macros cost a user's build.
#
#   bench/compile.sh              # 5 rounds, debug and release
#   ROUNDS=3 bench/compile.sh
#
# Generates, under target/compile-bench/, two crates with the same report of
# 20 checks that each answer `Ok(Pool { idle: 4 })`:
#   derive: 20 `#[health_check]` fns and one `#[derive(HealthReport)]`;
#   hand:   the same 20 fns and the report written by hand: `tokio::join!`
#           over the checks, each under `tokio::time::timeout` with panics
#           caught, aggregated into the same `Report` and JSON.
# With every dependency built once (a warm cache), each round touches a
# crate's source and times `cargo build` of it alone, interleaving the two,
# in the debug and the release profile. The median of the rounds is the
# figure. Then it times the macro crate's own build (from its dependencies
# built) next to serde_derive's, the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
root=$(pwd)
dir=target/compile-bench
mkdir -p "$dir/derive/src" "$dir/hand/src"

checks=20
numbers=$(seq "$checks")

cat > "$dir/Cargo.toml" <<TOML
[workspace]
members = ["derive", "hand"]
resolver = "3"

[workspace.dependencies]
health-core = { path = "$root/health-core", default-features = false }
serde = { version = "1", features = ["derive"] }
schemars = "1"
serde_json = "1"
tokio = { version = "1", features = ["rt", "macros", "time"] }
TOML
for crate in derive hand; do
  cat > "$dir/$crate/Cargo.toml" <<TOML
[package]
name = "compile-$crate"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
health-core = { workspace = true }
serde = { workspace = true }
schemars = { workspace = true }
serde_json = { workspace = true }
tokio = { workspace = true }
TOML
done
# Both use the repository's lock file, so they build the versions it tests.
cp Cargo.lock "$dir/Cargo.lock"

common() {
  echo '#[derive(serde::Serialize, schemars::JsonSchema, Clone)]'
  echo 'pub struct Pool { idle: u32 }'
}

{
  echo 'use health_core::{health_check, HealthReport};'
  common
  for n in $numbers; do
    echo "#[health_check(timeout = \"1s\")]"
    echo "async fn c$n() -> Result<Pool, std::io::Error> { Ok(Pool { idle: 4 }) }"
  done
  echo '#[derive(HealthReport, Default)]'
  echo 'struct Twenty {'
  for n in $numbers; do echo "    c$n: C${n}Check,"; done
  echo '}'
  echo '#[tokio::main(flavor = "current_thread")]'
  echo 'async fn main() {'
  echo '    let report = Twenty::default().report(&()).await;'
  echo '    println!("{}", serde_json::to_string(&report).unwrap());'
  echo '}'
} > "$dir/derive/src/main.rs"

{
  cat <<'RUST'
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use health_core::{Component, Report, Status};
use tokio::time::Instant;
RUST
  common
  for n in $numbers; do
    echo "async fn c$n() -> Result<Pool, std::io::Error> { Ok(Pool { idle: 4 }) }"
  done
  cat <<'RUST'
/// Polls a check, turning a panic into an error.
struct CatchUnwind<F> { inner: F }

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut self.inner).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

async fn run<F: Future<Output = Result<Pool, std::io::Error>>>(check: F) -> Component<Pool> {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(1), CatchUnwind { inner: Box::pin(check) }).await;
    let (status, message, details) = match result {
        Ok(Ok(Ok(details))) => (Status::Up, None, Some(details)),
        Ok(Ok(Err(error))) => (Status::Down, Some(error.to_string().into()), None),
        Ok(Err(())) => (Status::Down, Some("check panicked".into()), None),
        Err(_) => (Status::Down, Some("timed out after 1s".into()), None),
    };
    let mut component = Component::new(status).with_duration(started.elapsed());
    component.message = message;
    component.details = details;
    component
}

#[derive(serde::Serialize)]
struct Components {
RUST
  for n in $numbers; do echo "    c$n: Component<Pool>,"; done
  echo '}'
  echo 'async fn report() -> Report<Components> {'
  echo '    let timestamp = SystemTime::now();'
  echo '    let started = Instant::now();'
  echo -n '    let ('; for n in $numbers; do echo -n "c$n, "; done; echo ') = tokio::join!('
  for n in $numbers; do echo "        run(c$n()),"; done
  echo '    );'
  echo -n '    let components = Components { '; for n in $numbers; do echo -n "c$n, "; done; echo '};'
  echo -n '    let status = Status::aggregate(['; for n in $numbers; do echo -n "(components.c$n.status, components.c$n.critical), "; done; echo ']);'
  echo '    Report::new(status, timestamp, started.elapsed(), components)'
  echo '}'
  echo '#[tokio::main(flavor = "current_thread")]'
  echo 'async fn main() {'
  echo '    println!("{}", serde_json::to_string(&report().await).unwrap());'
  echo '}'
} > "$dir/hand/src/main.rs"

cd "$dir"
export CARGO_TARGET_DIR="$root/target/compile-bench/target"
# Every build compiles the crate from scratch, as a changed crate is: no
# incremental reuse of the untouched source in the debug profile.
export CARGO_INCREMENTAL=0
# The same JSON shape from both (times differ).
for profile in dev release; do
  cargo build --quiet --profile "$profile" -p compile-derive -p compile-hand
done
same=$(for crate in derive hand; do "$CARGO_TARGET_DIR/debug/compile-$crate" | tr -d '0-9.' | md5sum; done | uniq | wc -l)
[ "$same" = 1 ] || { echo "the two reports differ" >&2; exit 1; }

# Seconds one command takes.
seconds() {
  local start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A TIMES
for profile in dev release; do
  for round in $(seq "$ROUNDS"); do
    line="$profile round $round:"
    for crate in derive hand; do
      touch "$crate/src/main.rs"
      t=$(seconds cargo build --profile "$profile" -p "compile-$crate")
      TIMES[$profile-$crate]="${TIMES[$profile-$crate]:-} $t"
      line="$line $crate ${t}s"
    done
    echo "$line"
  done
done

# The macro crates themselves, from their dependencies built.
for round in $(seq "$ROUNDS"); do
  line="macro crates round $round:"
  for crate in health-macros serde_derive; do
    cargo clean --quiet -p "$crate"
    t=$(seconds cargo build -p "$crate")
    TIMES[macros-$crate]="${TIMES[macros-$crate]:-} $t"
    line="$line $crate ${t}s"
  done
  echo "$line"
done

echo
echo "median of $ROUNDS rounds, seconds:"
for profile in dev release; do
  d=$(echo "${TIMES[$profile-derive]}" | median)
  h=$(echo "${TIMES[$profile-hand]}" | median)
  printf "%-8s derive %6.2f  hand %6.2f  ratio %.2f\n" "$profile" "$d" "$h" "$(awk -v d="$d" -v h="$h" 'BEGIN { print d / h }')"
done
printf "the macro crate alone (debug): health-macros %.2f, serde_derive %.2f\n" \
  "$(echo "${TIMES[macros-health-macros]}" | median)" "$(echo "${TIMES[macros-serde_derive]}" | median)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"

# LLVM IR lines of each crate (debug), with `cargo llvm-lines` if installed
# (`cargo install cargo-llvm-lines`): how much code each compiles.
if command -v cargo-llvm-lines >/dev/null; then
  for crate in derive hand; do
    touch "$crate/src/main.rs"
    total=$(cargo llvm-lines --quiet -p "compile-$crate" --bin "compile-$crate" 2>/dev/null | awk '/\(TOTAL\)/ { print $1 " lines, " $2 " copies" }')
    echo "llvm-lines $crate: $total"
  done
fi
