//! The report of `benches/report.rs`, run a given number of times without a
//! timer, for counting instructions under callgrind (`bench/instructions.sh`):
//!
//!     instructions <derive|damped|by-hand|block-on|monitor|monitor-no-history|service|service-by-hand|service-hidden|service-hidden-by-hand|refresh|refresh-traced> <iterations> [json]
//!
//! `service` is one `GET /health` answered by the tower service on request,
//! every detail shown; `service-by-hand` the same JSON by a hand-written
//! handler: the report by hand, serialized, in a response with the same
//! headers.
//!     instructions sizes
//!
//! `refresh` is one background refresh of the monitor, on a paused clock;
//! `refresh-traced` the same with `trace_refreshes(true)` under a
//! subscriber that keeps spans (tracing-subscriber's registry).

#[path = "support/report_fixture.rs"]
mod fixture;

use std::hint::black_box;

use fixture::{Damped, Derived, by_hand};
use health_core::HealthReport;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|which| which == "sizes") {
        let derived = Derived::default();
        let monitor = health_core::monitor::Monitor::new(Derived::default(), ());
        let overall = health_core::monitor::Subject::Overall;
        println!(
            "future sizes: derive {} bytes, by hand {} bytes, a monitor read {} bytes",
            size_of_val(&derived.report(&())),
            size_of_val(&by_hand::report()),
            size_of_val(&monitor.read(&overall, health_core::report::Selection::none())),
        );
        return;
    }
    let usage = "usage: instructions <derive|damped|by-hand|block-on|monitor|monitor-no-history|service|service-by-hand|service-hidden|service-hidden-by-hand|refresh|refresh-traced> <iterations> [json] | instructions sizes";
    let (Some(which), Some(iterations)) = (args.first(), args.get(1).and_then(|n| n.parse::<u32>().ok())) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let json = args.get(2).is_some_and(|flag| flag == "json");
    if let Some(traced) = match which.as_str() {
        "refresh" => Some(false),
        "refresh-traced" => Some(true),
        _ => None,
    } {
        refreshes(iterations, traced);
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    let derived = Derived::default();
    let damped = Damped::default();
    // A monitor read of the derived report, keeping the default history or none.
    let monitor = health_core::monitor::Monitor::new(Derived::default(), ());
    let no_history = health_core::monitor::Monitor::builder(Derived::default(), ())
        .history_depth(health_core::monitor::HistoryDepth::new(0, 0))
        .build()
        .expect("a monitor");
    let read = |monitor: &health_core::monitor::Monitor<Derived>| {
        let overall = health_core::monitor::Subject::Overall;
        runtime.block_on(monitor.read(&overall, health_core::report::Selection::none())).expect("a subject").status()
    };
    let service = health_core::http::HealthService::builder(health_core::monitor::Monitor::new(Derived::default(), ()))
        .visibility(health_core::http::Visibility::Always)
        .build()
        .expect("a valid configuration");
    let hidden = health_core::http::HealthService::builder(health_core::monitor::Monitor::new(Derived::default(), ()))
        .visibility(health_core::http::Visibility::Never)
        .build()
        .expect("a valid configuration");
    let request = || http::Request::get("/health").body(()).expect("a request");
    let mut body = Vec::with_capacity(4096);
    for _ in 0..iterations {
        body.clear();
        match which.as_str() {
            "derive" => {
                let report = runtime.block_on(derived.report(&()));
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "damped" => {
                let report = runtime.block_on(damped.report(&()));
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "by-hand" => {
                let report = runtime.block_on(by_hand::report());
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "block-on" => runtime.block_on(async {}),
            "monitor" => {
                black_box(read(&monitor));
            }
            "monitor-no-history" => {
                black_box(read(&no_history));
            }
            "service" => {
                let answer = tower_service::Service::call(&mut service.clone(), request());
                black_box(runtime.block_on(answer).expect("infallible"));
            }
            "service-hidden" => {
                let answer = tower_service::Service::call(&mut hidden.clone(), request());
                black_box(runtime.block_on(answer).expect("infallible"));
            }
            "service-hidden-by-hand" => {
                let report = runtime.block_on(by_hand::report());
                let body = serde_json::to_vec(&Statuses(&report)).expect("serializable");
                let response = http::Response::builder()
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .header(http::header::CACHE_CONTROL, "no-store")
                    .body(bytes::Bytes::from(body))
                    .expect("a response");
                black_box(response);
            }
            "service-by-hand" => {
                let report = runtime.block_on(by_hand::report());
                let body = serde_json::to_vec(&report).expect("serializable");
                let response = http::Response::builder()
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .header(http::header::CACHE_CONTROL, "no-store")
                    .body(bytes::Bytes::from(body))
                    .expect("a response");
                black_box(response);
            }
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
        black_box(&body);
    }
}

/// `iterations` background refreshes of the derived report, traced or not:
/// each iteration sleeps one refresh interval on a paused clock, which the
/// runtime skips to the refresh's own timer.
fn refreshes(iterations: u32, traced: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(tracing_subscriber::layer::Identity::new());
    let _default = traced.then(|| tracing::subscriber::set_default(subscriber));
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("a runtime");
    let every = health_core::monitor::MIN_REFRESH;
    let overall = health_core::monitor::Subject::Overall;
    let generation = runtime.block_on(async {
        let monitor = health_core::monitor::Monitor::builder(Derived::default(), ())
            .refresh_every(every)
            .trace_refreshes(traced)
            .build()
            .expect("a monitor");
        for _ in 0..iterations {
            tokio::time::sleep(every).await;
        }
        monitor.latest(&overall).expect("a subject").map_or(0, |latest| latest.generation())
    });
    // Each interval ran one refresh (the first at once).
    assert!(generation.abs_diff(u64::from(iterations)) <= 1, "{generation} refreshes in {iterations} intervals");
}

/// A report as a response without details shows it: its status, and each
/// component's, by name.
struct Statuses<'a>(&'a health_core::Report<by_hand::Components>);

impl serde::Serialize for Statuses<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// A component's status alone.
        struct StatusOnly(health_core::Status);
        impl serde::Serialize for StatusOnly {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("status", &self.0)?;
                map.end()
            }
        }
        /// The components by name.
        struct Components<'a>(&'a by_hand::Components);
        impl serde::Serialize for Components<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let c = self.0;
                let mut map = serializer.serialize_map(Some(8))?;
                for (name, component) in [
                    ("c1", &c.c1),
                    ("c2", &c.c2),
                    ("c3", &c.c3),
                    ("c4", &c.c4),
                    ("c5", &c.c5),
                    ("c6", &c.c6),
                    ("c7", &c.c7),
                    ("c8", &c.c8),
                ] {
                    map.serialize_entry(name, &StatusOnly(component.status))?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("status", &self.0.status)?;
        map.serialize_entry("components", &Components(&self.0.components))?;
        map.end()
    }
}
