//! What a heartbeat costs: a beat against a plain `AtomicU64` store (what a
//! hand-written heartbeat does at best), and the check's read against
//! reading the same figures by hand. Run with `cargo bench --bench heartbeat`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use health_core::Status;
use health_core::probe::heartbeat::{self, Heartbeat, HeartbeatOptions};

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
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    let mut group = c.benchmark_group("read");
    let start = Instant::now();
    let last = AtomicU64::new(start.elapsed().as_nanos() as u64);
    group.bench_function("by hand, status only", |b| b.iter(|| black_box(by_hand(start, &last))));
    // UP for the whole measurement: an hour's interval.
    let jobs = Heartbeat::new(HeartbeatOptions::every(Duration::from_secs(3600)));
    let pulse = jobs.pulse();
    pulse.succeeded();
    group.bench_function("block_on(async {}), the runtime's share", |b| b.iter(|| runtime.block_on(async {})));
    group.bench_function("heartbeat::read, with details", |b| {
        b.iter(|| black_box(runtime.block_on(heartbeat::read(&jobs))))
    });
    assert_eq!(runtime.block_on(heartbeat::read(&jobs)).status(), Status::Up);
    group.finish();
}

criterion_group!(benches, beats, reads);
criterion_main!(benches);
