//! One report of 8 instant checks: built by the derive, against the same report
//! written by hand with `tokio::join!`, `tokio::time::timeout` and panic
//! catching, producing the same JSON. Run with `cargo bench --bench report`.

use std::any::Any;
use std::future::Future;
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use health_core::{Component, HealthReport, Report, Status, health_check};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Pool {
    idle: u32,
}

macro_rules! instant_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s")]
        async fn $name() -> Result<Pool, std::io::Error> {
            Ok(Pool { idle: 4 })
        }
    )*};
}

instant_checks!(c1, c2, c3, c4, c5, c6, c7, c8);

#[derive(HealthReport, Default)]
struct Derived {
    c1: C1Check,
    c2: C2Check,
    c3: C3Check,
    c4: C4Check,
    c5: C5Check,
    c6: C6Check,
    c7: C7Check,
    c8: C8Check,
}

/// What a careful engineer writes without the derive.
mod by_hand {
    use super::*;

    #[derive(Serialize)]
    pub struct Components {
        pub c1: Component<Pool>,
        pub c2: Component<Pool>,
        pub c3: Component<Pool>,
        pub c4: Component<Pool>,
        pub c5: Component<Pool>,
        pub c6: Component<Pool>,
        pub c7: Component<Pool>,
        pub c8: Component<Pool>,
    }

    pin_project_lite::pin_project! {
        struct CatchUnwind<F> {
            #[pin]
            inner: F,
        }
    }

    impl<F: Future> Future for CatchUnwind<F> {
        type Output = Result<F::Output, Box<dyn Any + Send>>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let inner = self.project().inner;
            match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
                Err(panic) => Poll::Ready(Err(panic)),
            }
        }
    }

    async fn run<F: Future<Output = Result<Pool, std::io::Error>>>(check: F) -> Component<Pool> {
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(1), CatchUnwind { inner: check }).await;
        let duration = started.elapsed();
        let (status, message, details) = match result {
            Ok(Ok(Ok(details))) => (Status::Up, None, Some(details)),
            Ok(Ok(Err(error))) => (Status::Down, Some(error.to_string().into()), None),
            Ok(Err(_)) => (Status::Down, Some("check panicked".into()), None),
            Err(_) => (Status::Down, Some("timed out after 1s".into()), None),
        };
        let mut component = Component::new(status).with_duration(duration);
        component.message = message;
        component.details = details;
        component
    }

    pub async fn report() -> Report<Components> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let (c1, c2, c3, c4, c5, c6, c7, c8) =
            tokio::join!(run(c1()), run(c2()), run(c3()), run(c4()), run(c5()), run(c6()), run(c7()), run(c8()));
        let components = Components { c1, c2, c3, c4, c5, c6, c7, c8 };
        let all = [
            &components.c1,
            &components.c2,
            &components.c3,
            &components.c4,
            &components.c5,
            &components.c6,
            &components.c7,
            &components.c8,
        ];
        let status = Status::aggregate(all.map(|c| (c.status, c.critical)));
        Report::new(status, timestamp, started.elapsed(), components)
    }
}

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
    let plain = health_core::Monitor::new(Derived::default(), ());
    let recorded = health_core::Monitor::builder(Derived::default(), ())
        .metrics(health_core::metrics::MetricsOptions::default())
        .build()
        .unwrap();
    // The same with series that are plain atomics: what the monitor's own
    // recording costs, apart from the exporter's storage.
    let atomic = metrics::with_local_recorder(&Atomics, || {
        health_core::Monitor::builder(Derived::default(), ())
            .metrics(health_core::metrics::MetricsOptions::default())
            .build()
            .unwrap()
    });
    let read = |monitor: &health_core::Monitor<Derived>| {
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

criterion_group!(benches, reports, metrics);
criterion_main!(benches);
