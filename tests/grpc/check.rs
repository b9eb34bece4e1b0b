//! `Check` and `List`: names, the status mapping, modes and deadlines.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use health_core::grpc::{GrpcHealthService, ServingStatus as Serving};
use health_core::monitor::{Monitor, StatusMap, Subject};
use health_core::{HealthReport, Status, health_check};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::support::{check, client, list, serve};
use crate::{SECRET, background, on_request};

#[tokio::test]
async fn every_name_answers_its_own_status_and_an_unknown_name_is_not_found() {
    let (monitor, app) = on_request();
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = client(serve(&health).await).await;
    app.set_cache(Status::Down);
    // The cache is not critical: the whole is degraded, which still serves.
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "readiness").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "cache").await, Ok(ServingStatus::NotServing));
    // A group of one non-critical component down is degraded.
    assert_eq!(check(&mut client, "batch").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "database").await, Ok(ServingStatus::Serving));
    app.set_database(Status::Down);
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "readiness").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "startup").await, Ok(ServingStatus::NotServing));
    // Liveness holds the process check only.
    assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving));
    for unknown in ["orders.v1.Orders", "Database", "live", " "] {
        assert_eq!(check(&mut client, unknown).await, Err(tonic::Code::NotFound), "{unknown:?}");
    }
}

#[tokio::test]
async fn on_request_each_check_runs_the_checks_and_in_the_background_none_does() {
    let (monitor, app) = on_request();
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = client(serve(&health).await).await;
    for expected in 1..=3 {
        check(&mut client, "database").await.unwrap();
        assert_eq!(app.runs(), expected);
    }
    // A name without the database runs nothing of it.
    check(&mut client, "liveness").await.unwrap();
    assert_eq!(app.runs(), 3);

    let (monitor, app) = background().await;
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = crate::support::client(serve(&health).await).await;
    let before = app.runs();
    for _ in 0..200 {
        check(&mut client, "").await.unwrap();
    }
    // 200 checks, each answered from the latest refresh: at most the
    // refreshes that happened meanwhile ran.
    let refreshes = app.runs() - before;
    assert!(refreshes < 50, "{refreshes} runs for 200 checks");
}

#[tokio::test]
async fn the_mapping_is_configurable_per_subject_and_for_all() {
    let (monitor, app) = on_request();
    let health = GrpcHealthService::builder(monitor)
        .serving_statuses(StatusMap::default().degraded(Serving::NotServing))
        .serving_statuses_for(Subject::component("cache"), StatusMap::default().down(Serving::Serving))
        .build()
        .unwrap();
    let mut client = client(serve(&health).await).await;
    app.set_database(Status::Degraded);
    assert_eq!(check(&mut client, "database").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing));
    app.set_database(Status::Up);
    app.set_cache(Status::Down);
    assert_eq!(check(&mut client, "cache").await, Ok(ServingStatus::Serving));
    // The whole is degraded by the cache, and degraded is NOT_SERVING for all but the cache.
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing));
}

#[tokio::test]
async fn mapped_names_follow_their_subject_and_defined_groups_weigh_by_criticality() {
    let (monitor, app) = crate::on_request_with(|monitor| {
        monitor.group("orders.v1.Reports", ["database", "cache"]).group("orders.v1.Lookups", ["cache", "process"])
    });
    let health = GrpcHealthService::builder(monitor)
        .map("orders.v1.Orders", Subject::group("readiness"))
        .map("orders.v1.Cache", Subject::component("cache"))
        .build()
        .unwrap();
    let mut client = client(serve(&health).await).await;
    app.set_cache(Status::Down);
    assert_eq!(check(&mut client, "orders.v1.Cache").await, Ok(ServingStatus::NotServing));
    // Weighed by criticality: a non-critical component down only degrades.
    assert_eq!(check(&mut client, "orders.v1.Reports").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "orders.v1.Lookups").await, Ok(ServingStatus::Serving));
    app.set_database(Status::Down);
    assert_eq!(check(&mut client, "orders.v1.Reports").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "orders.v1.Orders").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "orders.v1.Lookups").await, Ok(ServingStatus::Serving));
}

#[tokio::test]
async fn list_gives_every_name_and_its_status() {
    let (monitor, app) = crate::on_request_with(|monitor| monitor.group("orders.v1.Orders", ["database"]));
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let address = serve(&health).await;
    app.set_database(Status::Down);
    use ServingStatus::{NotServing, Serving};
    let expected = [
        ("", NotServing),
        ("batch", Serving),
        ("cache", Serving),
        ("database", NotServing),
        ("liveness", Serving),
        ("orders.v1.Orders", NotServing),
        ("process", Serving),
        ("readiness", NotServing),
        ("startup", NotServing),
    ];
    let expected: Vec<_> = expected.into_iter().map(|(name, status)| (name.to_owned(), status)).collect();
    assert_eq!(list(address).await, expected);
    // One read of the whole answered every name.
    assert_eq!(app.runs(), 1);
}

#[tokio::test]
async fn statuses_only_leave_over_grpc() {
    let (monitor, app) = on_request();
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let address = serve(&health).await;
    let mut client = client(address).await;
    app.set_database(Status::Down);
    let response = client.check(HealthCheckRequest { service: "database".into() }).await.unwrap();
    let (metadata, message, _) = response.into_parts();
    assert_eq!(message.status, ServingStatus::NotServing as i32);
    for (key, value) in metadata.into_headers() {
        let value = value.to_str().unwrap_or_default();
        assert!(!value.contains(SECRET), "{key:?}: {value}");
    }
    let error = client.check(HealthCheckRequest { service: "nope".into() }).await.unwrap_err();
    assert!(!error.message().contains(SECRET));
    assert!(error.message().contains("`nope`"), "{}", error.message());
}

/// Live instances of the slow check's future: it must not outlive a call.
static SLOW_ALIVE: AtomicUsize = AtomicUsize::new(0);

struct Alive;

impl Alive {
    fn new() -> Self {
        SLOW_ALIVE.fetch_add(1, Ordering::SeqCst);
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        SLOW_ALIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[health_check(timeout = "5s", critical)]
async fn slow() {
    let _alive = Alive::new();
    tokio::time::sleep(Duration::from_secs(3)).await;
}

#[derive(HealthReport, Default)]
struct Slow {
    slow: SlowCheck,
}

#[tokio::test]
async fn a_deadline_shorter_than_the_checks_is_deadline_exceeded_and_the_checks_are_dropped() {
    let health = GrpcHealthService::builder(Monitor::new(Slow::default(), ())).build().unwrap();
    let mut client = client(serve(&health).await).await;
    for (service, deadline) in [("", Duration::from_millis(200)), ("slow", Duration::from_millis(50))] {
        let started = tokio::time::Instant::now();
        let mut request = tonic::Request::new(HealthCheckRequest { service: service.into() });
        within(&mut request, deadline);
        let error = client.check(request).await.unwrap_err();
        assert_eq!(error.code(), tonic::Code::DeadlineExceeded, "{error}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        // The check's future was dropped with the call, not left running.
        let gone = async {
            while SLOW_ALIVE.load(Ordering::SeqCst) != 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_millis(500), gone).await.expect("the check was dropped");
    }
    // List is bounded the same way.
    let mut client =
        health_core::grpc::pb::health_client::HealthClient::new(crate::support::channel(serve(&health).await).await);
    let mut request = tonic::Request::new(health_core::grpc::pb::HealthListRequest {});
    within(&mut request, Duration::from_millis(100));
    let started = tokio::time::Instant::now();
    assert_eq!(client.list(request).await.unwrap_err().code(), tonic::Code::DeadlineExceeded);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

/// Sends `deadline` as the `grpc-timeout` header only. `set_timeout` would
/// also arm the client's own timer, which on a loaded machine can fire
/// first (`CANCELLED`) and hide the server's answer, the rule under test.
fn within<T>(request: &mut tonic::Request<T>, deadline: Duration) {
    let header = format!("{}m", deadline.as_millis()).parse().expect("a valid header");
    request.metadata_mut().insert("grpc-timeout", header);
}
