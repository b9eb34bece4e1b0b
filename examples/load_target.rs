//! The server `bench/load.sh` measures: the same report of 3 instant checks
//! served by hand-written axum handlers (the ceilings: `/hand` runs the checks
//! on each request, `/hand-static` serves a report serialized once a second),
//! by the endpoints on request and by the endpoints in background mode; plus a
//! cached check that counts its runs, for the 1,000-connection single-flight
//! test.
//!
//! `LOAD_PORT` (default 18090) sets the port on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::http::header;
use axum::response::IntoResponse;
use health_core::http::{HealthEndpoints, Visibility};
use health_core::{Component, HealthReport, Monitor, Report, Status, health_check};
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

instant_checks!(first, second, third);

#[derive(HealthReport, Default)]
struct Three {
    first: FirstCheck,
    second: SecondCheck,
    third: ThirdCheck,
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Counts its runs; it takes a second, so that all 1,000 connections arrive
/// while it runs: one run then means single-flight, not just the cache.
#[health_check(timeout = "5s", cache = "10m")]
async fn counted() -> Result<usize, String> {
    let run = RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(run)
}

#[derive(HealthReport, Default)]
struct Cached {
    counted: CountedCheck,
}

/// The ceiling: the same JSON, written by hand.
mod by_hand {
    use super::*;

    #[derive(Serialize)]
    pub struct Components {
        pub first: Component<Pool>,
        pub second: Component<Pool>,
        pub third: Component<Pool>,
    }

    async fn run(check: impl Future<Output = Result<Pool, std::io::Error>>) -> Component<Pool> {
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(1), check).await;
        let (status, message, details) = match result {
            Ok(Ok(details)) => (Status::Up, None, Some(details)),
            Ok(Err(error)) => (Status::Down, Some(error.to_string().into()), None),
            Err(_) => (Status::Down, Some("timed out after 1s".into()), None),
        };
        let mut component = Component::new(status).with_duration(started.elapsed());
        component.message = message;
        component.details = details;
        component
    }

    pub async fn body() -> Vec<u8> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let (first, second, third) = tokio::join!(run(super::first()), run(super::second()), run(super::third()));
        let status = Status::aggregate([&first, &second, &third].map(|c| (c.status, c.critical)));
        let report = Report::new(status, timestamp, started.elapsed(), Components { first, second, third });
        serde_json::to_vec(&report).unwrap_or_default()
    }

    fn respond(body: impl IntoResponse) -> impl IntoResponse {
        ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
    }

    pub async fn handler() -> impl IntoResponse {
        respond(body().await)
    }

    /// The report serialized once a second, served as is.
    static LATEST: std::sync::RwLock<bytes::Bytes> = std::sync::RwLock::new(bytes::Bytes::new());

    pub async fn refresh() {
        loop {
            let body = bytes::Bytes::from(body().await);
            *LATEST.write().unwrap_or_else(std::sync::PoisonError::into_inner) = body;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    pub async fn static_handler() -> impl IntoResponse {
        respond(LATEST.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let on_request = HealthEndpoints::new(Monitor::new(Three::default(), ()))
        .base_path("/on-request")
        .visibility(Visibility::Always)
        .build()?;
    let background = Monitor::builder(Three::default(), ()).refresh_every(Duration::from_secs(1)).build()?;
    let background =
        HealthEndpoints::new(background).base_path("/background").visibility(Visibility::Always).build()?;
    let cached = HealthEndpoints::new(Monitor::new(Cached::default(), ()))
        .base_path("/cached")
        .visibility(Visibility::Always)
        .build()?;
    tokio::spawn(by_hand::refresh());
    let app = axum::Router::new()
        .route("/hand", axum::routing::get(by_hand::handler))
        .route("/hand-static", axum::routing::get(by_hand::static_handler))
        .route("/runs", axum::routing::get(|| async { RUNS.load(Ordering::SeqCst).to_string() }))
        .merge(on_request.router())
        .merge(background.router())
        .merge(cached.router());
    let port = std::env::var("LOAD_PORT").ok().and_then(|port| port.parse::<u16>().ok()).unwrap_or(18090);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
