//! The server `bench/load.sh` measures: the same reports served by the
//! endpoints and by hand-written axum handlers (the ceilings), side by side.
//!
//! - `/hand` and `/on-request`: 3 instant checks, each with the JSON details
//!   `{"n":1}`, every detail shown; `/hand` runs them on each request with
//!   `tokio::join!` and `tokio::time::timeout`.
//! - `/hand-hidden` and `/on-request-hidden`: the same, statuses only.
//! - `/hand-slow` and `/slow-on-request`: 3 checks of 20 ms each, every
//!   detail shown: the endpoints share the runs under way between requests,
//!   the handler runs the checks for each. `/slow-runs` counts the slow
//!   checks' runs.
//! - `/hand-static` and `/background`: the instant report refreshed once a
//!   second in the background, served as is.
//! - `/cached`: a cached check that counts its runs (`/runs`), for the
//!   1,000-connection single-flight test.
//! - `/pg/ready`, where `DATABASE_URL` is set: the built-in PostgreSQL probe
//!   of a pool of 4, critical, on request, for `bench/queries.sh`.
//!
//! `LOAD_PORT` (default 18090) sets the port on 127.0.0.1. With
//! `LOAD_SERVER=actix` the same routes are served by actix-web: the
//! endpoints through its native adapter, the ceilings as actix-web handlers
//! (`/pg/ready` is axum's alone). With
//! `LOAD_QUIET=1` nothing runs in the background (`/background` and
//! `/hand-static` then serve the first report forever): what
//! `bench/requests.sh` counts is then the requests' work alone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::http::header;
use axum::response::IntoResponse;
use health_core::http::{HealthService, Visibility};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use serde_json::{Value, json};

macro_rules! instant_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s")]
        async fn $name() -> Result<Value, std::io::Error> {
            Ok(json!({ "n": 1 }))
        }
    )*};
}

instant_checks!(first, second, third);

/// How long each slow check takes.
const SLOW: Duration = Duration::from_millis(20);

/// Runs of the slow checks, whoever runs them (`/slow-runs`): what the
/// dependency behind a slow check would see.
static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

macro_rules! slow_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s")]
        async fn $name() -> Result<Value, std::io::Error> {
            SLOW_RUNS.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(SLOW).await;
            Ok(json!({ "n": 1 }))
        }
    )*};
}

slow_checks!(slow_first, slow_second, slow_third);

#[derive(HealthReport, Default)]
struct Three {
    first: FirstCheck,
    second: SecondCheck,
    third: ThirdCheck,
}

#[derive(HealthReport, Default)]
struct SlowThree {
    first: SlowFirstCheck,
    second: SlowSecondCheck,
    third: SlowThirdCheck,
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

/// The ceilings: the same JSON, written by hand.
mod by_hand {
    use std::time::Instant;

    use health_core::{Component, Report, Status};
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    pub struct Components<T> {
        pub first: T,
        pub second: T,
        pub third: T,
    }

    /// A component as the endpoints show it without details.
    #[derive(Serialize)]
    pub struct StatusOnly {
        pub status: Status,
    }

    /// A report as the endpoints show it without details.
    #[derive(Serialize)]
    pub struct Statuses {
        pub status: Status,
        pub components: Components<StatusOnly>,
    }

    async fn run(check: impl Future<Output = Result<Value, std::io::Error>>) -> Component<Value> {
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

    /// Runs the checks concurrently, each under its timeout.
    async fn report(
        a: impl Future<Output = Result<Value, std::io::Error>>,
        b: impl Future<Output = Result<Value, std::io::Error>>,
        c: impl Future<Output = Result<Value, std::io::Error>>,
    ) -> Report<Components<Component<Value>>> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let (first, second, third) = tokio::join!(run(a), run(b), run(c));
        let status = Status::aggregate([&first, &second, &third].map(|c| (c.status, c.critical)));
        Report::new(status, timestamp, started.elapsed(), Components { first, second, third })
    }

    pub async fn body() -> Vec<u8> {
        let report = report(super::first(), super::second(), super::third()).await;
        serde_json::to_vec(&report).unwrap_or_default()
    }

    fn respond(body: impl IntoResponse) -> impl IntoResponse {
        ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
    }

    pub async fn handler() -> impl IntoResponse {
        respond(body().await)
    }

    pub async fn hidden() -> impl IntoResponse {
        respond(hidden_body().await)
    }

    pub async fn hidden_body() -> Vec<u8> {
        let report = report(super::first(), super::second(), super::third()).await;
        let status = |component: &Component<Value>| StatusOnly { status: component.status };
        let components = &report.components;
        let statuses = Statuses {
            status: report.status,
            components: Components {
                first: status(&components.first),
                second: status(&components.second),
                third: status(&components.third),
            },
        };
        serde_json::to_vec(&statuses).unwrap_or_default()
    }

    pub async fn slow() -> impl IntoResponse {
        respond(slow_body().await)
    }

    pub async fn slow_body() -> Vec<u8> {
        let report = report(super::slow_first(), super::slow_second(), super::slow_third()).await;
        serde_json::to_vec(&report).unwrap_or_default()
    }

    /// The report serialized once a second, served as is.
    static LATEST: std::sync::RwLock<bytes::Bytes> = std::sync::RwLock::new(bytes::Bytes::new());

    pub async fn refresh(every: Duration) {
        loop {
            let body = bytes::Bytes::from(body().await);
            *LATEST.write().unwrap_or_else(std::sync::PoisonError::into_inner) = body;
            tokio::time::sleep(every).await;
        }
    }

    pub async fn static_handler() -> impl IntoResponse {
        respond(latest())
    }

    /// The report serialized last.
    pub fn latest() -> bytes::Bytes {
        LATEST.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The endpoints of every mode.
struct Endpoints {
    on_request: HealthService<Three>,
    hidden: HealthService<Three>,
    slow: HealthService<SlowThree>,
    background: HealthService<Three>,
    cached: HealthService<Cached>,
}

/// Builds every mode's endpoints and starts the refreshes, on the runtime
/// that serves them.
fn endpoints() -> Result<Endpoints, Box<dyn std::error::Error>> {
    let endpoints = |monitor, base: &str, visibility| {
        HealthService::builder(monitor).base_path(base).visibility(visibility).build()
    };
    let quiet = std::env::var_os("LOAD_QUIET").is_some();
    let every = if quiet { Duration::from_secs(24 * 3600) } else { Duration::from_secs(1) };
    let background = Monitor::builder(Three::default(), ()).refresh_every(every).build()?;
    tokio::spawn(by_hand::refresh(every));
    Ok(Endpoints {
        on_request: endpoints(Monitor::new(Three::default(), ()), "/on-request", Visibility::Always)?,
        hidden: endpoints(Monitor::new(Three::default(), ()), "/on-request-hidden", Visibility::Never)?,
        slow: HealthService::builder(Monitor::new(SlowThree::default(), ()))
            .base_path("/slow-on-request")
            .visibility(Visibility::Always)
            .build()?,
        background: endpoints(background, "/background", Visibility::Always)?,
        cached: HealthService::builder(Monitor::new(Cached::default(), ()))
            .base_path("/cached")
            .visibility(Visibility::Always)
            .build()?,
    })
}

fn port() -> u16 {
    std::env::var("LOAD_PORT").ok().and_then(|port| port.parse::<u16>().ok()).unwrap_or(18090)
}

/// Serves over axum, or over actix-web with `LOAD_SERVER=actix` (its
/// ceilings then hand-written actix-web handlers).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var("LOAD_SERVER").as_deref() == Ok("actix") {
        return actix_web::rt::System::new().block_on(over_actix());
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(over_axum())
}

/// What `bench/load.sh` measures, over actix-web: the endpoints through the
/// native adapter, the ceilings as actix-web handlers.
async fn over_actix() -> Result<(), Box<dyn std::error::Error>> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let endpoints = endpoints()?;
    let json = |body: Vec<u8>| {
        HttpResponse::Ok()
            .insert_header(("content-type", "application/json"))
            .insert_header(("cache-control", "no-store"))
            .body(body)
    };
    HttpServer::new(move || {
        // actix-web tries an app's services in the order they are
        // registered: each mode comes right after its ceiling, so that it is
        // tried one match later, never earlier.
        App::new()
            .route("/hand", web::get().to(move || async move { json(by_hand::body().await) }))
            .service(endpoints.on_request.actix())
            .route("/hand-hidden", web::get().to(move || async move { json(by_hand::hidden_body().await) }))
            .service(endpoints.hidden.actix())
            .route("/hand-slow", web::get().to(move || async move { json(by_hand::slow_body().await) }))
            .service(endpoints.slow.actix())
            .route("/hand-static", web::get().to(move || async move { json(by_hand::latest().to_vec()) }))
            .service(endpoints.background.actix())
            .service(endpoints.cached.actix())
            .route("/runs", web::get().to(|| async { RUNS.load(Ordering::SeqCst).to_string() }))
            .route("/slow-runs", web::get().to(|| async { SLOW_RUNS.load(Ordering::Relaxed).to_string() }))
    })
    .bind(("127.0.0.1", port()))?
    .run()
    .await?;
    Ok(())
}

async fn over_axum() -> Result<(), Box<dyn std::error::Error>> {
    let Endpoints { on_request, hidden, slow, background, cached } = endpoints()?;
    let app = axum::Router::new()
        .route("/hand", axum::routing::get(by_hand::handler))
        .route("/hand-hidden", axum::routing::get(by_hand::hidden))
        .route("/hand-slow", axum::routing::get(by_hand::slow))
        .route("/hand-static", axum::routing::get(by_hand::static_handler))
        .route("/runs", axum::routing::get(|| async { RUNS.load(Ordering::SeqCst).to_string() }))
        .route("/slow-runs", axum::routing::get(|| async { SLOW_RUNS.load(Ordering::Relaxed).to_string() }))
        .merge(on_request.router())
        .merge(hidden.router())
        .merge(slow.router())
        .merge(background.router())
        .merge(cached.router());
    let app = match std::env::var("DATABASE_URL") {
        Ok(url) => {
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect_lazy(&url)?;
            let mut registry = health_core::Registry::new();
            let options = health_core::CheckOptions::new().timeout(Duration::from_secs(2)).critical(true);
            registry.register_with("database", health_core::probe::postgres::PoolCheck::new(pool), options)?;
            let pg = HealthService::builder(Monitor::new(registry, ()))
                .base_path("/pg")
                .visibility(Visibility::Always)
                .build()?;
            app.merge(pg.router())
        }
        Err(_) => app,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port())).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
