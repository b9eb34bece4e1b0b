//! Building the service: refused configurations, names and probe manifests.

use health_core::grpc::{ConfigError, GrpcHealthService, GrpcHealthServiceBuilder};
use health_core::health_check;
use health_core::monitor::{Monitor, StatusMap, Subject};

use crate::{Health, on_request};

#[test]
fn configurations_that_cannot_work_are_refused_with_a_reason() {
    let build = |health: GrpcHealthServiceBuilder<Health>| health.build().map(|_| ()).unwrap_err();
    let monitor = || on_request().0;
    let cases = [
        (
            build(GrpcHealthService::builder(monitor()).map("readiness", Subject::Overall)),
            ConfigError::NameTaken("readiness".into()),
        ),
        (
            build(GrpcHealthService::builder(monitor()).map("", Subject::group("batch"))),
            ConfigError::NameTaken(String::new()),
        ),
        (
            build(GrpcHealthService::builder(monitor()).map("cache", Subject::component("database"))),
            ConfigError::NameTaken("cache".into()),
        ),
        (
            build(GrpcHealthService::builder(monitor()).map("a", Subject::Overall).map("a", Subject::group("batch"))),
            ConfigError::NameTaken("a".into()),
        ),
        (
            build(GrpcHealthService::builder(monitor()).map("a", Subject::group("nightly"))),
            ConfigError::UnknownSubject(Subject::group("nightly")),
        ),
        (
            build(GrpcHealthService::builder(monitor()).map("a", Subject::component("search"))),
            ConfigError::UnknownSubject(Subject::component("search")),
        ),
        (
            build(
                GrpcHealthService::builder(monitor())
                    .serving_statuses_for(Subject::group("orders.v1.Orders"), StatusMap::default()),
            ),
            ConfigError::UnknownSubject(Subject::group("orders.v1.Orders")),
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(error, expected);
        assert!(!error.to_string().is_empty());
    }
    assert!(ConfigError::NameTaken("x".into()).to_string().contains("`x`"));
}

#[test]
fn disabled_components_are_not_served_and_defined_groups_leave_them_out() {
    let monitor = Monitor::builder(Health::default(), crate::App::default())
        .disable("cache")
        .group("orders.v1.Orders", ["database", "cache"])
        .build()
        .unwrap();
    assert_eq!(monitor.selection(&Subject::group("orders.v1.Orders")).unwrap().indices().count(), 1);
    let cache = Subject::component("cache");
    let refused = GrpcHealthService::builder(monitor.clone()).map("orders.v1.Cache", cache.clone()).build();
    assert_eq!(refused.map(|_| ()).unwrap_err(), ConfigError::UnknownSubject(cache));
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let names: Vec<&str> = health.names().collect();
    assert_eq!(names, ["", "liveness", "readiness", "startup", "batch", "orders.v1.Orders", "process", "database"]);
}

#[test]
fn grpc_probe_manifests_name_the_groups_with_a_numeric_port_and_the_http_budget() {
    let health = GrpcHealthService::builder(on_request().0).build().unwrap();
    let yaml = health.probes(50051);
    let documents = yaml_rust2::YamlLoader::load_from_str(&yaml).expect("valid YAML");
    let probes = &documents[0];
    for (field, service, timeout, period) in [
        // The database check may take 2 s: readiness and startup wait 2 s + 1 s.
        ("startupProbe", "startup", 3, 5),
        ("readinessProbe", "readiness", 3, 5),
        // Liveness holds the 100 ms process check only: 1 s rounded up, + 1 s.
        ("livenessProbe", "liveness", 2, 10),
    ] {
        let probe = &probes[field];
        assert_eq!(probe["grpc"]["port"].as_i64(), Some(50051), "{yaml}");
        assert_eq!(probe["grpc"]["service"].as_str(), Some(service), "{yaml}");
        assert_eq!(probe["timeoutSeconds"].as_i64(), Some(timeout), "{field}: {yaml}");
        assert_eq!(probe["periodSeconds"].as_i64(), Some(period), "{field}: {yaml}");
        assert!(probe["httpGet"].is_badvalue());
    }
    // The same rule as the HTTP probes.
    let http = health_core::http::HealthService::builder(on_request().0).build().unwrap().probes(8080);
    let http = &yaml_rust2::YamlLoader::load_from_str(&http).unwrap()[0];
    for field in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert_eq!(http[field]["timeoutSeconds"], probes[field]["timeoutSeconds"]);
    }
}

#[health_check]
async fn readiness_component() {}

#[health_check(groups(readiness, "database"))]
async fn database_component() {}

/// Components named like groups: `readiness`, and `database` in the group `database`.
#[derive(health_core::HealthReport, Default)]
struct Clashing {
    #[health(rename = "readiness")]
    first: ReadinessComponentCheck,
    #[health(rename = "database")]
    second: DatabaseComponentCheck,
}

#[test]
fn a_group_keeps_its_name_from_a_component_of_the_same_name_which_must_be_mapped() {
    let monitor = Monitor::new(Clashing::default(), ());
    let unmapped = GrpcHealthService::builder(monitor.clone()).build().map(|_| ()).unwrap_err();
    assert_eq!(unmapped, ConfigError::ComponentNamedLikeGroup("readiness".into()));
    assert!(unmapped.to_string().contains(".map("), "{unmapped}");
    let health = GrpcHealthService::builder(monitor)
        .map("readiness-component", Subject::component("readiness"))
        .map("db-component", Subject::component("database"))
        .build()
        .unwrap();
    let names: Vec<&str> = health.names().collect();
    assert_eq!(names, ["", "liveness", "readiness", "startup", "database", "readiness-component", "db-component"]);
}
