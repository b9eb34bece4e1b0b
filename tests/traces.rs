//! Probe traffic stays out of traces and access logs: health answers emit no
//! span or event per request (only status changes are logged), and a
//! `HealthLayer` in front of tower-http's `TraceLayer` answers probes before
//! they reach it. Counted by a tracing layer of the test's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use health_core::http::{HealthLayer, HealthService};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use tower_http::trace::TraceLayer;
use tower_service::Service;
use tracing_subscriber::layer::{Context, SubscriberExt};

#[health_check]
async fn database() {}

#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
}

/// Spans opened and events emitted while it is installed.
#[derive(Clone, Default)]
struct Counts {
    spans: Arc<AtomicUsize>,
    events: Arc<AtomicUsize>,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counts {
    fn on_new_span(&self, _: &tracing::span::Attributes<'_>, _: &tracing::span::Id, _: Context<'_, S>) {
        self.spans.fetch_add(1, Ordering::SeqCst);
    }

    fn on_event(&self, _: &tracing::Event<'_>, _: Context<'_, S>) {
        self.events.fetch_add(1, Ordering::SeqCst);
    }
}

impl Counts {
    fn take(&self) -> (usize, usize) {
        (self.spans.swap(0, Ordering::SeqCst), self.events.swap(0, Ordering::SeqCst))
    }
}

/// Runs `work` on a current-thread runtime with `counts` as the tracing
/// subscriber, at the `TRACE` level: every span and event counts.
fn counted<F: Future>(counts: &Counts, work: impl FnOnce() -> F) -> F::Output {
    let subscriber = tracing_subscriber::registry().with(counts.clone());
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(work())
    })
}

/// The status code of `GET path` through `app`.
async fn get(app: &mut axum::Router, path: &str) -> u16 {
    let request = http::Request::get(path).body(Body::empty()).unwrap();
    app.call(request).await.unwrap().status().as_u16()
}

fn health() -> HealthService<Health> {
    HealthService::builder(Monitor::new(Health::default(), ())).build().unwrap()
}

const PROBES: [&str; 4] = ["/health", "/health/live", "/health/ready", "/health/startup"];

#[test]
fn health_answers_emit_no_span_or_event_per_request() {
    let counts = Counts::default();
    counted(&counts, || async {
        let mut app = health().router();
        // The first read sets each status: that change is logged, once.
        assert_eq!(get(&mut app, "/health").await, 200);
        let (_, first_events) = counts.take();
        assert!(first_events >= 1, "the first status is logged");
        for _ in 0..100 {
            for path in PROBES {
                assert_eq!(get(&mut app, path).await, 200);
            }
        }
        assert_eq!(counts.take(), (0, 0), "spans and events for 400 probes of unchanged health");
    });
}

#[test]
fn a_health_layer_in_front_of_trace_layer_keeps_probes_out_of_traces() {
    let counts = Counts::default();
    counted(&counts, || async {
        let api = axum::Router::new().route("/api/orders", axum::routing::get(|| async { "[]" }));
        // `layer` wraps what is there: the last one added sees requests first.
        let mut app = api.layer(TraceLayer::new_for_http()).layer(HealthLayer::new(health()));
        assert_eq!(get(&mut app, "/health").await, 200);
        counts.take();
        for _ in 0..10 {
            for path in PROBES {
                assert_eq!(get(&mut app, path).await, 200);
            }
        }
        assert_eq!(counts.take().0, 0, "probes reached the TraceLayer");
        for _ in 0..3 {
            assert_eq!(get(&mut app, "/api/orders").await, 200);
        }
        assert_eq!(counts.take().0, 3, "one span per application request");
    });
}

#[test]
fn a_trace_layer_in_front_of_the_health_layer_traces_every_probe() {
    // The order to avoid: TraceLayer outermost sees every probe.
    let counts = Counts::default();
    counted(&counts, || async {
        let api = axum::Router::new().route("/api/orders", axum::routing::get(|| async { "[]" }));
        let mut app = api.layer(HealthLayer::new(health())).layer(TraceLayer::new_for_http());
        assert_eq!(get(&mut app, "/health").await, 200);
        counts.take();
        for path in PROBES {
            assert_eq!(get(&mut app, path).await, 200);
        }
        assert_eq!(counts.take().0, PROBES.len());
    });
}
