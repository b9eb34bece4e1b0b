//! `Registry`: checks chosen at run time, reported in the same JSON format.

mod support;

use std::time::{Duration, Instant};

use health_core::report::{NameError, Selection};
use health_core::{CheckOptions, HealthReport, Outcome, Registry, RegistryError, Status, check_fn, health_check};
use serde_json::json;
use support::{assert_invalid, assert_valid, validator};

struct Config {
    queue_depth: u64,
    database_url: String,
}

/// The primary database answers.
#[health_check(timeout = "200ms", critical)]
async fn database(config: &Config) -> Result<(), String> {
    Err(format!("cannot connect to {}", config.database_url))
}

#[health_check(timeout = "100ms")]
async fn ping() {}

fn explode() {
    panic!("boom");
}

fn registry() -> Registry<Config> {
    let mut registry = Registry::new();
    registry
        .register("database", DatabaseCheck::default())
        .unwrap()
        .register("ping", PingCheck::default())
        .unwrap()
        .register_with(
            "queue",
            check_fn(|config: &Config| {
                let depth = config.queue_depth;
                async move { if depth > 100 { Outcome::degraded(depth) } else { Outcome::up(depth) } }
            }),
            CheckOptions::new().timeout(Duration::from_millis(50)).description("Backlog of the job queue."),
        )
        .unwrap()
        .register_with(
            "slow",
            check_fn(|_: &Config| tokio::time::sleep(Duration::from_secs(10))),
            CheckOptions::new().timeout(Duration::from_millis(100)),
        )
        .unwrap()
        .register("panics", check_fn(|_: &Config| async { explode() }))
        .unwrap()
        .register(
            "panics-early",
            check_fn(|_: &Config| {
                explode();
                async {}
            }),
        )
        .unwrap();
    registry
}

fn config() -> Config {
    Config { queue_depth: 250, database_url: "postgres://app:hunter2@127.0.0.1:1/app".into() }
}

#[tokio::test]
async fn generated_checks_and_closures_run_concurrently_with_the_same_failure_rules() {
    let started = Instant::now();
    let report = registry().report(&config()).await;
    // The 10 s check is cut at its 100 ms timeout; the bound leaves room for
    // the two panics' backtraces, captured when RUST_BACKTRACE is set, which
    // took 700 ms of a loaded 2-core machine once.
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    let components = &report.components;
    assert_eq!(components.len(), 6);
    assert_eq!(components.get("queue").unwrap().details, Some(json!(250)));
    assert_eq!(components.get("queue").unwrap().status, Status::Degraded);
    assert_eq!(components.get("ping").unwrap().status, Status::Up);
    assert_eq!(components.get("slow").unwrap().message.as_deref(), Some("timed out after 100ms"));
    assert_eq!(components.get("panics").unwrap().message.as_deref(), Some("check panicked: boom"));
    assert_eq!(
        components.get("panics-early").unwrap().message.as_deref(),
        Some("check panicked: boom"),
        "a panic before the closure's future exists is isolated too"
    );
    let database = components.get("database").unwrap();
    assert!(database.critical);
    assert_eq!(database.message.as_deref(), Some("cannot connect to postgres://app:***@127.0.0.1:1/app"));
    assert_eq!(report.status, Status::Down);
    let order: Vec<&str> = components.iter().map(|(name, _)| name).collect();
    assert_eq!(order, ["database", "ping", "queue", "slow", "panics", "panics-early"]);
}

#[tokio::test]
async fn its_reports_validate_against_its_schema() {
    let registry = registry();
    let schema = registry.json_schema();
    assert_eq!(schema["properties"]["components"]["properties"]["queue"]["description"], "Backlog of the job queue.");
    assert_eq!(
        schema["properties"]["components"]["properties"]["database"]["description"],
        "The primary database answers."
    );
    let validator = validator(&schema);
    let mut report = serde_json::to_value(registry.report(&config()).await).unwrap();
    assert_valid(&validator, &report);
    report["components"]["queue"]["details"] = json!("many");
    assert_invalid(&validator, &report, "a string where the queue depth is a number");
}

#[tokio::test]
async fn registry_and_derive_produce_the_same_json_shape() {
    #[derive(HealthReport, Default)]
    #[health(state = Config)]
    struct Derived {
        database: DatabaseCheck,
        ping: PingCheck,
    }
    let mut registry = Registry::new();
    registry.register("database", DatabaseCheck::default()).unwrap().register("ping", PingCheck::default()).unwrap();

    let strip = |mut value: serde_json::Value| {
        for key in ["timestamp", "duration_ms"] {
            value.as_object_mut().unwrap().remove(key);
        }
        for component in value["components"].as_object_mut().unwrap().values_mut() {
            component.as_object_mut().unwrap().remove("duration_ms");
        }
        value
    };
    let derived = strip(serde_json::to_value(Derived::default().report(&config()).await).unwrap());
    let dynamic = strip(serde_json::to_value(registry.report(&config()).await).unwrap());
    assert_eq!(derived, dynamic);
    assert_eq!(Derived::json_schema()["properties"]["components"], registry.json_schema()["properties"]["components"]);
}

#[test]
fn bad_registrations_are_typed_errors() {
    let mut registry = Registry::<Config>::new();
    registry.register("ping", PingCheck::default()).unwrap();
    assert_eq!(
        registry.register("ping", PingCheck::default()).unwrap_err(),
        RegistryError::DuplicateName("ping".into())
    );
    let invalid = |name: &str, error| RegistryError::InvalidName { name: name.into(), error };
    assert_eq!(registry.register("", PingCheck::default()).unwrap_err(), invalid("", NameError::Empty));
    assert_eq!(registry.register("a/b", PingCheck::default()).unwrap_err(), invalid("a/b", NameError::Character('/')));
    assert_eq!(registry.register("..", PingCheck::default()).unwrap_err(), invalid("..", NameError::DotSegment));
    assert_eq!(registry.register("ready", PingCheck::default()).unwrap_err(), invalid("ready", NameError::Reserved));
    let zero = CheckOptions::new().timeout(Duration::ZERO);
    assert_eq!(
        registry.register_with("zero", PingCheck::default(), zero).unwrap_err(),
        RegistryError::ZeroTimeout("zero".into())
    );
    let an_hour = CheckOptions::new().timeout(health_core::MAX_TIMEOUT);
    assert!(registry.register_with("hour", PingCheck::default(), an_hour).is_ok(), "the longest timeout is accepted");
    let longer = CheckOptions::new().timeout(health_core::MAX_TIMEOUT + Duration::from_millis(1));
    let too_long = registry.register_with("longer", PingCheck::default(), longer).unwrap_err();
    assert_eq!(
        too_long,
        RegistryError::TimeoutTooLong { name: "longer".into(), timeout: Duration::from_millis(3_600_001) }
    );
    assert_eq!(
        too_long.to_string(),
        "the timeout of component `longer`, 3600001ms, is longer than the longest a check may have, 60m"
    );
    // A hand-written check declaring an unbounded timeout is refused too.
    struct Forever;
    impl health_core::Check<Config> for Forever {
        type Details = ();
        const TIMEOUT: Duration = Duration::MAX;
        async fn run(&self, _: &Config) -> Outcome<()> {
            Outcome::up(())
        }
    }
    assert!(matches!(registry.register("forever", Forever), Err(RegistryError::TimeoutTooLong { .. })));
    let never_fresh = CheckOptions::new().cache(Duration::ZERO);
    assert_eq!(
        registry.register_with("stale", PingCheck::default(), never_fresh).unwrap_err(),
        RegistryError::ZeroCache("stale".into())
    );
    let bad_group = CheckOptions::new().groups(["batch jobs"]);
    assert_eq!(
        registry.register_with("batch", PingCheck::default(), bad_group).unwrap_err(),
        RegistryError::InvalidGroup {
            component: "batch".into(),
            group: "batch jobs".into(),
            error: Some(NameError::Character(' '))
        }
    );
    let twice = CheckOptions::new().groups(["readiness", "readiness"]);
    assert_eq!(
        registry.register_with("twice", PingCheck::default(), twice).unwrap_err(),
        RegistryError::InvalidGroup { component: "twice".into(), group: "readiness".into(), error: None }
    );
    assert_eq!(registry.names().collect::<Vec<_>>(), ["ping", "hour"], "failed registrations leave nothing behind");
    assert_eq!(
        RegistryError::DuplicateName("ping".into()).to_string(),
        "a component named `ping` is already registered"
    );
}

#[test]
fn a_registry_holds_at_most_the_capacity() {
    let mut registry = Registry::<Config>::new();
    for index in 0..Selection::CAPACITY {
        registry.register(format!("c{index}"), PingCheck::default()).unwrap();
    }
    assert_eq!(registry.register("one-more", PingCheck::default()).unwrap_err(), RegistryError::Full);
}

#[tokio::test]
async fn an_empty_registry_is_up() {
    let report = Registry::<()>::new().report(&()).await;
    assert_eq!(report.status, Status::Up);
    assert!(report.components.is_empty());
    assert_eq!(serde_json::to_value(&report).unwrap()["components"], json!({}));
}
