//! One report of 8 instant checks: built by the derive, against the same report
//! written by hand with `tokio::join!`, `tokio::time::timeout` and panic
//! catching, producing the same JSON. Run with `cargo bench --bench report`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use health_core::{HealthReport, Status};

#[path = "support/report_fixture.rs"]
mod fixture;

use fixture::{Damped, Derived, by_hand};

fn reports(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let derived = Derived::default();
    // Both produce the same JSON but for times and durations.
    let shape = |json: String| json.split("\"duration_ms\"").count();
    let derived_json = serde_json::to_string(&runtime.block_on(derived.report(&()))).unwrap();
    let by_hand_json = serde_json::to_string(&runtime.block_on(by_hand::report())).unwrap();
    assert_eq!(shape(derived_json), shape(by_hand_json));

    let mut group = c.benchmark_group("report of 8 instant checks");
    group.bench_function("derive", |b| b.iter(|| black_box(runtime.block_on(derived.report(&())))));
    group.bench_function("by hand", |b| b.iter(|| black_box(runtime.block_on(by_hand::report()))));
    let damped = Damped::default();
    group.bench_function("derive, thresholds on every check", |b| {
        b.iter(|| black_box(runtime.block_on(damped.report(&()))))
    });
    group.finish();
    println!(
        "future sizes: derive {} bytes, by hand {} bytes",
        std::mem::size_of_val(&derived.report(&())),
        std::mem::size_of_val(&by_hand::report())
    );

    let mut group = c.benchmark_group("report of 8 instant checks, serialized");
    let mut buffer = Vec::with_capacity(4096);
    group.bench_function("derive", |b| {
        b.iter(|| {
            buffer.clear();
            serde_json::to_writer(&mut buffer, &runtime.block_on(derived.report(&()))).unwrap();
            black_box(buffer.len())
        })
    });
    group.bench_function("by hand", |b| {
        b.iter(|| {
            buffer.clear();
            serde_json::to_writer(&mut buffer, &runtime.block_on(by_hand::report())).unwrap();
            black_box(buffer.len())
        })
    });
    group.finish();
}

/// The monitor reading the same report, recording metrics into the Prometheus
/// exporter or not: what recording every run costs.
fn metrics(c: &mut Criterion) {
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().unwrap();
    // Samples wait in the recorder until upkeep folds them in, as an
    // application's scrape or timer would.
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            prometheus.run_upkeep();
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let plain = health_core::monitor::Monitor::new(Derived::default(), ());
    let recorded = health_core::monitor::Monitor::builder(Derived::default(), ())
        .metrics(health_core::metrics::MetricsOptions::default())
        .build()
        .unwrap();
    // The same with series that are plain atomics: what the monitor's own
    // recording costs, apart from the exporter's storage.
    let atomic = metrics::with_local_recorder(&Atomics, || {
        health_core::monitor::Monitor::builder(Derived::default(), ())
            .metrics(health_core::metrics::MetricsOptions::default())
            .build()
            .unwrap()
    });
    let read = |monitor: &health_core::monitor::Monitor<Derived>| {
        runtime
            .block_on(monitor.read(&health_core::monitor::Subject::Overall, health_core::report::Selection::none()))
            .unwrap()
            .status()
    };
    assert_eq!(read(&recorded), Status::Up);

    let mut group = c.benchmark_group("monitor read of 8 instant checks");
    group.bench_function("without metrics", |b| b.iter(|| black_box(read(&plain))));
    group.bench_function("with metrics, Prometheus exporter", |b| b.iter(|| black_box(read(&recorded))));
    group.bench_function("with metrics, atomic series", |b| b.iter(|| black_box(read(&atomic))));
    group.finish();
}

/// The monitor reading the same report, keeping its history (the default
/// depth: 100 transitions and 300 runs per subject) or none: what recording
/// every run in the history costs.
fn history(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let none = health_core::monitor::Monitor::builder(Derived::default(), ())
        .history_depth(health_core::monitor::HistoryDepth::new(0, 0))
        .build()
        .unwrap();
    let kept = health_core::monitor::Monitor::new(Derived::default(), ());
    let read = |monitor: &health_core::monitor::Monitor<Derived>| {
        runtime
            .block_on(monitor.read(&health_core::monitor::Subject::Overall, health_core::report::Selection::none()))
            .unwrap()
            .status()
    };
    assert_eq!(read(&kept), Status::Up);

    let mut group = c.benchmark_group("monitor read of 8 instant checks, history");
    group.bench_function("without history", |b| b.iter(|| black_box(read(&none))));
    group.bench_function("with history", |b| b.iter(|| black_box(read(&kept))));
    group.finish();
}

/// A recorder whose every series is an atomic.
struct Atomics;

/// A histogram keeping a count of its samples.
struct Samples(AtomicU64);

impl metrics::HistogramFn for Samples {
    fn record(&self, _: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl metrics::Recorder for Atomics {
    fn describe_counter(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_gauge(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_histogram(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}

    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(Arc::new(AtomicU64::new(0)))
    }

    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::from_arc(Arc::new(AtomicU64::new(0)))
    }

    fn register_histogram(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Histogram {
        metrics::Histogram::from_arc(Arc::new(Samples(AtomicU64::new(0))))
    }
}

criterion_group!(benches, reports, metrics, history);
criterion_main!(benches);
