//! Failure and success thresholds and retries: every transition on a paused
//! clock, the start-up rule, the ways to declare them (`#[health_check]`, a
//! report field, `Damped`, `CheckOptions`), and the damped status seen alike
//! by HTTP, gRPC, metrics and status-change subscribers.

#[path = "support/http.rs"]
mod client;
#[allow(dead_code, reason = "each test binary uses part of the helpers")]
#[path = "grpc/support.rs"]
mod grpc;
#[path = "support/series.rs"]
mod series;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use health_core::grpc::GrpcHealthService;
use health_core::http::{HealthService, Visibility};
use health_core::metrics::MetricsOptions;
use health_core::monitor::{Monitor, Subject};
use health_core::report::Selection;
use health_core::{
    Check, CheckOptions, Damped, HealthReport, Outcome, Registry, RegistryError, Retry, Status, Thresholds, check_fn,
    group, health_check,
};
use metrics_util::debugging::DebuggingRecorder;
use tokio::time::Instant;
use tonic_health::pb::health_check_response::ServingStatus;

/// A dependency the tests break and mend, counting the calls it gets.
#[derive(Default)]
struct Dependency {
    broken: AtomicBool,
    /// Calls that fail before one succeeds, whatever `broken` says.
    failing_calls: AtomicU32,
    calls: AtomicU32,
}

impl Dependency {
    fn set_broken(&self, broken: bool) {
        self.broken.store(broken, Ordering::SeqCst);
    }

    fn call(&self) -> Result<(), String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self.failing_calls.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if failing || self.broken.load(Ordering::SeqCst) {
            Err(format!("refused (call {})", self.calls.load(Ordering::SeqCst)))
        } else {
            Ok(())
        }
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[health_check(timeout = "1s", critical, failure_threshold = 3, success_threshold = 2)]
async fn database(dependency: &Dependency) -> Result<(), String> {
    dependency.call()
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Damping {
    database: DatabaseCheck,
}

/// What one report showed of `database`.
#[derive(Debug, PartialEq)]
struct Seen {
    status: Status,
    raw: Status,
    failures: u32,
    successes: u32,
    message: Option<String>,
}

async fn report(health: &Damping, dependency: &Dependency) -> Seen {
    let report = health.report(dependency).await;
    let database = report.components.database;
    assert_eq!(report.status, database.status, "the only component is critical");
    let streak = database.streak.expect("a check with thresholds reports its streak");
    assert_eq!((streak.failure_threshold, streak.success_threshold), (3, 2));
    Seen {
        status: database.status,
        raw: streak.raw_status,
        failures: streak.failures,
        successes: streak.successes,
        message: database.message.map(String::from),
    }
}

fn seen(status: Status, raw: Status, failures: u32, successes: u32, message: Option<&str>) -> Seen {
    Seen { status, raw, failures, successes, message: message.map(str::to_owned) }
}

#[tokio::test(start_paused = true)]
async fn every_transition_of_failure_and_success_thresholds() {
    use Status::{Down, Up};
    let (health, dependency) = (Damping::default(), Dependency::default());
    assert_eq!(report(&health, &dependency).await, seen(Up, Up, 0, 1, None));

    // UP, then two failures: still UP, each counted in the message.
    dependency.set_broken(true);
    let one = Some("1 of 3 consecutive failures: refused (call 2)");
    assert_eq!(report(&health, &dependency).await, seen(Up, Down, 1, 0, one));
    tokio::time::advance(Duration::from_secs(10)).await;
    let two = Some("2 of 3 consecutive failures: refused (call 3)");
    assert_eq!(report(&health, &dependency).await, seen(Up, Down, 2, 0, two));

    // A success in between starts the count again: UP→(fail, fail)→UP.
    dependency.set_broken(false);
    assert_eq!(report(&health, &dependency).await, seen(Up, Up, 0, 1, None));

    // Three failures in a row: DOWN at the third, with the run's own message.
    dependency.set_broken(true);
    report(&health, &dependency).await;
    report(&health, &dependency).await;
    assert_eq!(report(&health, &dependency).await, seen(Down, Down, 3, 0, Some("refused (call 7)")));
    assert_eq!(report(&health, &dependency).await, seen(Down, Down, 4, 0, Some("refused (call 8)")));

    // One success: still DOWN. A failure starts the recovery over.
    dependency.set_broken(false);
    let recovering = Some("1 of 2 consecutive successes to recover");
    assert_eq!(report(&health, &dependency).await, seen(Down, Up, 0, 1, recovering));
    dependency.set_broken(true);
    assert_eq!(report(&health, &dependency).await, seen(Down, Down, 1, 0, Some("refused (call 10)")));
    dependency.set_broken(false);
    assert_eq!(report(&health, &dependency).await, seen(Down, Up, 0, 1, recovering));

    // The second success in a row: UP again.
    assert_eq!(report(&health, &dependency).await, seen(Up, Up, 0, 2, None));
    assert_eq!(dependency.calls(), 12, "one call per report, no retries");
}

#[tokio::test(start_paused = true)]
async fn a_component_that_never_succeeded_is_down_from_its_first_failure_and_up_from_its_first_success() {
    use Status::{Down, Up};
    let (health, dependency) = (Damping::default(), Dependency::default());
    dependency.set_broken(true);
    // Below the failure threshold, but with nothing to hold: DOWN at once, and
    // the startup probe with it.
    assert_eq!(report(&health, &dependency).await, seen(Down, Down, 1, 0, Some("refused (call 1)")));
    assert_eq!(report(&health, &dependency).await.status, Down);
    assert_eq!(report(&health, &dependency).await, seen(Down, Down, 3, 0, Some("refused (call 3)")));
    // The first success counts at once: there is no outage to recover from yet.
    dependency.set_broken(false);
    assert_eq!(report(&health, &dependency).await, seen(Up, Up, 0, 1, None));
    // From then on, failures are held.
    dependency.set_broken(true);
    assert_eq!(report(&health, &dependency).await.status, Up);
}

#[tokio::test(start_paused = true)]
async fn startup_probes_through_a_monitor_stay_down_until_the_first_success() {
    let dependency = Arc::new(Dependency::default());
    dependency.set_broken(true);
    let monitor = Monitor::new(Damping::default(), Arc::clone(&dependency));
    let startup = Subject::Group(group::STARTUP.into());
    for _ in 0..2 {
        let reading = monitor.read(&startup, Selection::none()).await.unwrap();
        assert_eq!(reading.status(), Status::Down, "never succeeded, under its threshold");
    }
    dependency.set_broken(false);
    assert_eq!(monitor.read(&startup, Selection::none()).await.unwrap().status(), Status::Up);
}

#[health_check(timeout = "1s", retries = 2, retry_backoff = "50ms")]
async fn flaky(dependency: &Dependency) -> Result<(), String> {
    dependency.call()
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Retrying {
    flaky: FlakyCheck,
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_succeeds_on_the_second_attempt_is_up() {
    let (health, dependency) = (Retrying::default(), Dependency::default());
    dependency.failing_calls.store(1, Ordering::SeqCst);
    let started = Instant::now();
    let report = health.report(&dependency).await;
    let flaky = report.components.flaky;
    assert_eq!((flaky.status, flaky.attempts, flaky.message.as_deref()), (Status::Up, 2, None));
    assert_eq!(dependency.calls(), 2);
    assert!(flaky.duration >= Duration::from_millis(50), "waited the backoff: {:?}", flaky.duration);
    assert!(started.elapsed() < Duration::from_millis(100), "one backoff only");
    assert_eq!(serde_json::to_value(&flaky).unwrap()["attempts"], 2);
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_report_the_last_failure() {
    let (health, dependency) = (Retrying::default(), Dependency::default());
    dependency.set_broken(true);
    let flaky = health.report(&dependency).await.components.flaky;
    assert_eq!((flaky.status, flaky.attempts), (Status::Down, 3));
    assert_eq!(flaky.message.as_deref(), Some("refused (call 3)"));
    assert_eq!(dependency.calls(), 3, "the first attempt and two retries");
    assert!(flaky.duration >= Duration::from_millis(100), "two backoffs: {:?}", flaky.duration);
}

#[health_check(timeout = "100ms", retries = 3, retry_backoff = "30ms")]
async fn hurried(dependency: &Dependency) -> Result<(), String> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    dependency.call()
}

#[health_check(timeout = "100ms", retries = 3)]
async fn hanging(dependency: &Dependency) -> Result<(), String> {
    dependency.call()?;
    tokio::time::sleep(Duration::from_secs(60)).await;
    Ok(())
}

#[health_check(retries = 3)]
async fn buggy(dependency: &Dependency) {
    dependency.call().ok();
    panic!("bug");
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Hurried {
    hurried: HurriedCheck,
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Hanging {
    hanging: HangingCheck,
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Buggy {
    buggy: BuggyCheck,
}

#[tokio::test(start_paused = true)]
async fn retries_stay_inside_the_timeout() {
    let dependency = Dependency::default();
    dependency.set_broken(true);
    let started = Instant::now();
    let hurried = Hurried::default().report(&dependency).await.components.hurried;
    // Attempts of 20 ms at 0 and 50 ms; the wait after the second would end
    // at the timeout, 100 ms, leaving the third no time: it is not made.
    assert_eq!((hurried.status, hurried.attempts, dependency.calls()), (Status::Down, 2, 2));
    assert_eq!(started.elapsed(), Duration::from_millis(70));
}

#[tokio::test(start_paused = true)]
async fn a_hung_attempt_is_cut_at_the_timeout_and_a_panic_is_not_retried() {
    let dependency = Dependency::default();
    let started = Instant::now();
    let hanging = Hanging::default().report(&dependency).await.components.hanging;
    assert_eq!((hanging.status, hanging.attempts, dependency.calls()), (Status::Down, 1, 1));
    assert_eq!(hanging.message.as_deref(), Some("timed out after 100ms"));
    assert_eq!(started.elapsed(), Duration::from_millis(100), "cut at the timeout");

    // A failure, then a retry that hangs: the failure is what is reported.
    let dependency = Dependency::default();
    dependency.failing_calls.store(1, Ordering::SeqCst);
    let cut = Hanging::default().report(&dependency).await.components.hanging;
    assert_eq!((cut.status, cut.attempts, dependency.calls()), (Status::Down, 2, 2));
    assert_eq!(cut.message.as_deref(), Some("refused (call 1)"), "not `timed out`: the check's own error");
    assert_eq!(cut.duration, Duration::from_millis(100));

    let dependency = Dependency::default();
    let buggy = Buggy::default().report(&dependency).await.components.buggy;
    assert_eq!((buggy.status, buggy.attempts, dependency.calls()), (Status::Down, 1, 1), "a panic is a bug");
    assert_eq!(buggy.message.as_deref(), Some("check panicked: bug"));
}

#[health_check(timeout = "1s")]
async fn plain(dependency: &Dependency) -> Result<(), String> {
    dependency.call()
}

/// A check written by hand: it keeps no history of its own.
struct Broker;

impl Check<Dependency> for Broker {
    type Details = ();
    const RETRY: Retry = Retry::new(1, Duration::from_millis(10));

    async fn run(&self, dependency: &Dependency) -> Outcome<()> {
        match dependency.call() {
            Ok(()) => Outcome::up(()),
            Err(error) => Outcome::status_only(Status::Down).with_message(error),
        }
    }
}

#[derive(HealthReport)]
#[health(state = Dependency)]
struct Overridden {
    /// Thresholds on the field, for a check that declared none.
    #[health(failure_threshold = 2, retries = 1, retry_backoff = "20ms")]
    plain: PlainCheck,
    /// A hand-written check, given a history by `Damped`, with the field's
    /// success threshold over the wrapper's.
    #[health(success_threshold = 3)]
    broker: Damped<Broker>,
}

#[tokio::test(start_paused = true)]
async fn fields_set_thresholds_and_retries_over_the_checks_own() {
    let health =
        Overridden { plain: PlainCheck::default(), broker: Damped::new(Broker, Thresholds::new(2, 1).unwrap()) };
    let dependency = Dependency::default();
    health.report(&dependency).await;
    dependency.set_broken(true);
    let held = health.report(&dependency).await;
    assert_eq!((held.components.plain.status, held.components.plain.attempts), (Status::Up, 2));
    assert_eq!(
        (held.components.broker.status, held.components.broker.attempts),
        (Status::Up, 2),
        "the check's own retry"
    );
    let streak = held.components.broker.streak.unwrap();
    assert_eq!((streak.failure_threshold, streak.success_threshold), (2, 3), "the field's over the wrapper's");
    let down = health.report(&dependency).await;
    assert_eq!((down.components.plain.status, down.components.broker.status), (Status::Down, Status::Down));
    dependency.set_broken(false);
    for expected in [Status::Down, Status::Down, Status::Up] {
        assert_eq!(health.report(&dependency).await.components.broker.status, expected);
    }
}

#[tokio::test(start_paused = true)]
async fn registry_entries_keep_the_history_for_checks_without_one() {
    let mut registry = Registry::<Dependency>::new();
    let options = CheckOptions::new().failure_threshold(2).success_threshold(2).retries(1);
    registry
        .register_with(
            "closure",
            check_fn(|dependency: &Dependency| {
                let result = dependency.call();
                async move { result }
            }),
            options.clone(),
        )
        .unwrap();
    registry.register_with("generated", PlainCheck::default(), options.clone().cache(Duration::from_secs(60))).unwrap();
    let dependency = Dependency::default();
    assert_eq!(registry.report(&dependency).await.status, Status::Up);
    dependency.set_broken(true);
    tokio::time::advance(Duration::from_secs(61)).await;
    let held = registry.report(&dependency).await;
    for name in ["closure", "generated"] {
        let component = held.components.get(name).unwrap();
        assert_eq!(
            (component.status, component.raw_status(), component.attempts),
            (Status::Up, Status::Down, 2),
            "{name}"
        );
    }
    // Reused from the cache: no run, nothing counted.
    let reused = registry.report(&dependency).await;
    assert_eq!(reused.components.get("generated").unwrap().streak.unwrap().failures, 1);
    assert_eq!(reused.components.get("closure").unwrap().status, Status::Down);
    // The next real run is the second failure, not the third.
    tokio::time::advance(Duration::from_secs(61)).await;
    let generated = registry.report(&dependency).await.components.get("generated").unwrap().clone();
    assert_eq!((generated.status, generated.streak.unwrap().failures), (Status::Down, 2));
}

#[test]
fn registry_refuses_zero_thresholds_and_retries_that_fill_the_timeout() {
    let mut registry = Registry::<Dependency>::new();
    let zero = registry.register_with("zero", PlainCheck::default(), CheckOptions::new().success_threshold(0));
    assert_eq!(zero.err(), Some(RegistryError::ZeroThreshold("zero".into())));
    let options =
        CheckOptions::new().timeout(Duration::from_millis(100)).retries(2).retry_backoff(Duration::from_millis(50));
    let error = registry.register_with("slow", PlainCheck::default(), options).err().unwrap();
    assert!(matches!(error, RegistryError::RetriesExceedTimeout { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "component `slow`: 2 retries waiting 50ms each, 100ms in all, leave no time within its timeout of 100ms; use fewer retries, a shorter backoff or a longer timeout"
    );
    assert_eq!(registry.names().count(), 0, "nothing registered");
}

#[health_check(timeout = "1s", critical, failure_threshold = 3)]
async fn store(dependency: &Dependency) -> Result<(), String> {
    dependency.call()
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Everywhere {
    store: StoreCheck,
}

#[test]
fn http_grpc_metrics_and_subscribers_all_see_the_damped_status() {
    let recorder = DebuggingRecorder::new();
    let values = metrics::with_local_recorder(&recorder, || {
        // One thread: the local recorder sees the runs of every server task.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let dependency = Arc::new(Dependency::default());
            let monitor = Monitor::builder(Everywhere::default(), Arc::clone(&dependency))
                .metrics(MetricsOptions::default())
                .build()
                .unwrap();
            let mut changes = monitor.subscribe();
            let service = HealthService::builder(monitor.clone()).visibility(Visibility::Always).build().unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let http = listener.local_addr().unwrap();
            client::register(http, service.openapi());
            tokio::spawn(axum::serve(listener, service.router()).into_future());
            let grpc = grpc::serve(&GrpcHealthService::builder(monitor).build().unwrap()).await;
            let mut grpc = grpc::client(grpc).await;

            // Run 1, over HTTP: UP.
            assert_eq!(client::get(http, "/health").await.json()["components"]["store"]["status"], "UP");
            dependency.set_broken(true);
            // Run 2, over HTTP: held UP, the raw result beside it; the
            // response is checked against the OpenAPI document.
            let held = client::get(http, "/health").await;
            assert_eq!(held.status, 200);
            let store = &held.json()["components"]["store"];
            assert_eq!(store["status"], "UP");
            assert_eq!(store["message"], "1 of 3 consecutive failures: refused (call 2)");
            assert_eq!(store["streak"]["raw_status"], "DOWN");
            assert_eq!(store["streak"]["failures"], 1);
            // Run 3, over gRPC: still serving.
            assert_eq!(grpc::check(&mut grpc, "store").await, Ok(ServingStatus::Serving));
            // Run 4, as health+json: the third failure, DOWN, with the streak.
            let down = client::request(http, "GET", "/health", &[("accept", "application/health+json")]).await;
            assert_eq!(down.status, 503);
            let check = &down.json()["checks"]["store:responseTime"][0];
            assert_eq!(check["status"], "fail");
            assert_eq!(check["streak"]["failures"], 3);
            // Run 5, over gRPC: not serving.
            assert_eq!(grpc::check(&mut grpc, "store").await, Ok(ServingStatus::NotServing));

            // Subscribers saw UP, then DOWN at the third failure, nothing between.
            let mut seen = Vec::new();
            while let Ok(Some(change)) = tokio::time::timeout(Duration::from_millis(200), changes.next()).await {
                if change.subject == Subject::component("store") {
                    seen.push((change.from, change.to));
                }
            }
            assert_eq!(seen, [(None, Status::Up), (Some(Status::Up), Status::Down)]);
        });
        series::values(&recorder.snapshotter())
    });
    assert_eq!(series::gauge(&values, "health_check_status{component=store,status=DOWN}"), 1.0);
    assert_eq!(series::gauge(&values, "health_status{group=all,status=DOWN}"), 1.0);
    // Runs are counted by what they found: four failures, two of them held.
    assert_eq!(series::counter(&values, "health_check_runs_total{component=store,result=down}"), 4);
    assert_eq!(series::counter(&values, "health_check_runs_total{component=store,result=up}"), 1);
}

#[derive(HealthReport)]
#[health(state = Dependency)]
struct Layered {
    cache_outside: health_core::Cached<Damped<Broker>, Dependency>,
    cache_inside: Damped<health_core::Cached<Broker, Dependency>>,
}

#[tokio::test(start_paused = true)]
async fn a_cache_on_either_side_of_damped_counts_real_runs_only_and_shows_the_held_status() {
    let thresholds = Thresholds::new(2, 1).unwrap();
    let ttl = Duration::from_secs(10);
    let health = Layered {
        cache_outside: health_core::Cached::new(Damped::new(Broker, thresholds), ttl),
        cache_inside: Damped::new(health_core::Cached::new(Broker, ttl), thresholds),
    };
    let dependency = Dependency::default();
    health.report(&dependency).await;
    dependency.set_broken(true);
    tokio::time::advance(Duration::from_secs(11)).await;
    // One real run each (two attempts, as Broker retries once): held UP.
    let held = health.report(&dependency).await.components;
    assert_eq!(dependency.calls(), 2 + 4);
    for component in [&held.cache_outside, &held.cache_inside] {
        assert_eq!((component.status, component.streak.unwrap().failures), (Status::Up, 1));
    }
    for _ in 0..3 {
        let reused = health.report(&dependency).await.components;
        for component in [&reused.cache_outside, &reused.cache_inside] {
            assert_eq!((component.status, component.streak.unwrap().failures), (Status::Up, 1), "a reuse is no run");
            let message = component.message.as_deref().unwrap_or_default();
            assert!(message.starts_with("1 of 2 consecutive failures: refused (call "), "{message}");
        }
    }
    assert_eq!(dependency.calls(), 6, "no run while the results are fresh");
    tokio::time::advance(Duration::from_secs(11)).await;
    let down = health.report(&dependency).await.components;
    for component in [&down.cache_outside, &down.cache_inside] {
        assert_eq!((component.status, component.streak.unwrap().failures), (Status::Down, 2));
    }
}

#[derive(HealthReport)]
#[health(state = Dependency)]
struct Rewrapped {
    database: Damped<DatabaseCheck>,
}

#[tokio::test(start_paused = true)]
async fn damped_replaces_the_thresholds_of_the_check_it_wraps() {
    // `database` declares 3 failures; the wrapper says 1.
    let health = Rewrapped { database: Damped::new(DatabaseCheck::default(), Thresholds::new(1, 1).unwrap()) };
    let dependency = Dependency::default();
    health.report(&dependency).await;
    dependency.set_broken(true);
    assert_eq!(
        health.report(&dependency).await.components.database.status,
        Status::Down,
        "the wrapper's threshold alone"
    );
}
