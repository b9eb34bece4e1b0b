//! The gRPC health service (`grpc.health.v1`) against a real tonic server,
//! called by tonic-health's client: Check, Watch, List, the status mapping,
//! deadlines, shutdown and the probe manifests.

mod support;

mod check;
mod config;
mod shutdown;
mod watch;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use health_core::monitor::{Monitor, MonitorBuilder};
use health_core::{HealthReport, Outcome, Status, health_check};

/// What the checks report, as the tests set it.
#[derive(Default)]
pub struct App {
    /// 0: up, 1: degraded, 2: down.
    database: AtomicU8,
    /// 0: up, 1: degraded, 2: down.
    cache: AtomicU8,
    /// Runs of the database check.
    runs: AtomicUsize,
}

impl App {
    pub fn set_database(&self, status: Status) {
        self.database.store(code(status), Ordering::SeqCst);
    }

    pub fn set_cache(&self, status: Status) {
        self.cache.store(code(status), Ordering::SeqCst);
    }

    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

fn code(status: Status) -> u8 {
    match status {
        Status::Up => 0,
        Status::Degraded => 1,
        Status::Down => 2,
    }
}

/// A secret that a message carries, and that must never leave over gRPC.
pub const SECRET: &str = "hunter2-never-over-grpc";

fn outcome(state: &AtomicU8) -> Outcome<String> {
    match state.load(Ordering::SeqCst) {
        0 => Outcome::up(SECRET.to_owned()),
        1 => Outcome::degraded(SECRET.to_owned()).with_message(SECRET),
        _ => Outcome::down(SECRET.to_owned()).with_message(SECRET),
    }
}

#[health_check(timeout = "100ms", groups(liveness, readiness))]
async fn process() {}

#[health_check(timeout = "2s", critical)]
async fn database(app: &App) -> Outcome<String> {
    app.runs.fetch_add(1, Ordering::SeqCst);
    outcome(&app.database)
}

#[health_check(timeout = "300ms", groups(readiness, "batch"))]
async fn cache(app: &App) -> Outcome<String> {
    outcome(&app.cache)
}

#[derive(HealthReport, Default)]
#[health(state = App)]
pub struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
}

/// A monitor running checks on each read.
pub fn on_request() -> (Monitor<Health>, std::sync::Arc<App>) {
    on_request_with(|monitor| monitor)
}

/// A monitor running checks on each read, configured by `configure`.
pub fn on_request_with(
    configure: impl FnOnce(MonitorBuilder<Health>) -> MonitorBuilder<Health>,
) -> (Monitor<Health>, std::sync::Arc<App>) {
    let app = std::sync::Arc::new(App::default());
    let monitor = configure(Monitor::builder(Health::default(), std::sync::Arc::clone(&app))).build();
    (monitor.expect("a valid monitor"), app)
}

/// How often background monitors refresh.
pub const REFRESH: Duration = Duration::from_millis(100);

/// A monitor refreshing every [`REFRESH`], once its first refresh is done.
pub async fn background() -> (Monitor<Health>, std::sync::Arc<App>) {
    background_with(|monitor| monitor).await
}

/// A monitor refreshing every [`REFRESH`], configured by `configure`, once
/// its first refresh is done.
pub async fn background_with(
    configure: impl FnOnce(MonitorBuilder<Health>) -> MonitorBuilder<Health>,
) -> (Monitor<Health>, std::sync::Arc<App>) {
    let app = std::sync::Arc::new(App::default());
    let monitor = configure(Monitor::builder(Health::default(), std::sync::Arc::clone(&app)).refresh_every(REFRESH))
        .build()
        .expect("a valid monitor");
    let mut overall = monitor.watch(&health_core::monitor::Subject::Overall).expect("the whole");
    overall.wait_for(|status| status.is_some()).await.expect("a first refresh");
    (monitor, app)
}
