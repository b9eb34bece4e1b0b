//! What the probes of background work cost: a heartbeat's beat against a
//! plain `AtomicU64` store (what a hand-written heartbeat does at best), and
//! each probe's read against reading the same figures by hand. Run with
//! `cargo bench --bench background`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use health_core::Status;
use health_core::probe::heartbeat::{self, Heartbeat, HeartbeatOptions};
use health_core::probe::process;
use health_core::probe::runtime::{self, RuntimeOptions, Watchdog};

fn beats(c: &mut Criterion) {
    let mut group = c.benchmark_group("beat");
    let start = Instant::now();
    let plain = AtomicU64::new(0);
    group.bench_function("AtomicU64 store of the time", |b| {
        b.iter(|| plain.store(black_box(start.elapsed().as_nanos() as u64), Ordering::Release))
    });
    let jobs = Heartbeat::new(HeartbeatOptions::every(Duration::from_secs(1)));
    let pulse = jobs.pulse();
    group.bench_function("Pulse::alive", |b| b.iter(|| black_box(&pulse).alive()));
    group.bench_function("Pulse::succeeded", |b| b.iter(|| black_box(&pulse).succeeded()));
    group.finish();
}

/// A hand-written heartbeat's check: the age of the last beat against two
/// thresholds.
fn by_hand(start: Instant, last: &AtomicU64) -> Status {
    let age = start.elapsed().saturating_sub(Duration::from_nanos(last.load(Ordering::Acquire)));
    if age > Duration::from_secs(5) {
        Status::Down
    } else if age > Duration::from_secs(2) {
        Status::Degraded
    } else {
        Status::Up
    }
}

fn reads(c: &mut Criterion) {
    // A worker of its own keeps the watchdog's ticker on time between samples.
    let executor =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_time().build().expect("a runtime");
    let mut group = c.benchmark_group("read");
    let start = Instant::now();
    let last = AtomicU64::new(start.elapsed().as_nanos() as u64);
    group.bench_function("by hand, status only", |b| b.iter(|| black_box(by_hand(start, &last))));
    // UP for the whole measurement: an hour's interval.
    let jobs = Heartbeat::new(HeartbeatOptions::every(Duration::from_secs(3600)));
    let pulse = jobs.pulse();
    pulse.succeeded();
    group.bench_function("block_on(async {}), the runtime's share", |b| b.iter(|| executor.block_on(async {})));
    group.bench_function("heartbeat::read, with details", |b| {
        b.iter(|| black_box(executor.block_on(heartbeat::read(&jobs))))
    });
    assert_eq!(executor.block_on(heartbeat::read(&jobs)).status(), Status::Up);

    let watchdog = Watchdog::start(executor.handle(), RuntimeOptions::new());
    let metrics = executor.handle().metrics();
    group.bench_function("runtime metrics and an AtomicU64 by hand", |b| {
        b.iter(|| {
            let late = last.load(Ordering::Acquire);
            black_box((late, metrics.num_workers(), metrics.num_alive_tasks(), metrics.global_queue_depth()))
        })
    });
    group.bench_function("runtime::read, with details", |b| {
        b.iter(|| black_box(executor.block_on(runtime::read(&watchdog))))
    });
    assert_eq!(executor.block_on(runtime::read(&watchdog)).status(), Status::Up);

    // The files the probe reads: the process's cgroup, its memory limit
    // (cgroup v1 or v2), its resident set and the machine's memory.
    group.bench_function("cgroup limit, VmRSS and MemTotal read by hand", |b| {
        b.iter(|| {
            let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
            let v2 = cgroup.lines().find_map(|line| line.strip_prefix("0::")).unwrap_or("/");
            let v1 = cgroup.lines().find_map(|line| line.split_once(":memory:").map(|(_, path)| path)).unwrap_or("/");
            let limit = std::fs::read_to_string(format!("/sys/fs/cgroup{v2}/memory.max"))
                .or_else(|_| std::fs::read_to_string(format!("/sys/fs/cgroup/memory{v1}/memory.limit_in_bytes")))
                .unwrap_or_default();
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
            black_box((limit.trim().parse::<u64>().ok(), kib(&status, "VmRSS:"), kib(&meminfo, "MemTotal:")))
        })
    });
    group.bench_function("process::memory", |b| b.iter(|| black_box(executor.block_on(process::memory()))));

    group.bench_function("/proc/self/fd and limits read by hand", |b| {
        b.iter(|| {
            let open = std::fs::read_dir("/proc/self/fd").map(Iterator::count).unwrap_or(0);
            let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
            black_box((open, limits.lines().find(|line| line.starts_with("Max open files")).map(str::len)))
        })
    });
    group.bench_function("process::descriptors", |b| b.iter(|| black_box(executor.block_on(process::descriptors()))));
    group.finish();
}

/// The number of a `Key:   123 kB` line.
fn kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix(key))?.split_whitespace().next()?.parse().ok()
}

criterion_group!(benches, beats, reads);
criterion_main!(benches);
