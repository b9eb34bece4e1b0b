//! Shutdown: the names the monitor drains (`""`, every group but liveness,
//! defined groups) turn NOT_SERVING at once, open watches see it,
//! liveness and the components keep being measured, and the server then
//! stops.

use std::time::Duration;

use health_core::grpc::GrpcHealthService;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::support::{check, client, next, serve, serve_until, watch_serving};
use crate::{background, on_request};

const ARRIVES: Duration = Duration::from_secs(5);

#[tokio::test]
async fn shutdown_turns_the_names_that_drain_not_serving_and_watchers_see_it_before_the_server_stops() {
    let (monitor, app) = background().await;
    let health = GrpcHealthService::builder(monitor.clone()).build().unwrap();
    // A drain long enough to look at the service while it drains.
    let (address, server) = serve_until(&health, health.drained(Duration::from_millis(500))).await;
    let mut client = client(address).await;
    let names = ["", "readiness", "startup", "batch", "database", "liveness"];
    let mut watches = watch_serving(&mut client, &names).await;
    monitor.begin_shutdown();
    for (name, stream) in names.iter().zip(&mut watches) {
        let drains = !matches!(*name, "liveness" | "database");
        let expected = drains.then_some(ServingStatus::NotServing);
        let wait = if drains { ARRIVES } else { Duration::from_millis(200) };
        assert_eq!(next(stream, wait).await, expected, "{name:?}");
    }
    // While draining, names that drain are answered at once without running
    // anything; components and liveness keep being measured (here from the
    // last background report, still fresh).
    let runs = app.runs();
    assert_eq!(check(&mut client, "readiness").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing));
    assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "database").await, Ok(ServingStatus::Serving));
    assert_eq!(app.runs(), runs, "nothing ran");
    // Then the watches end, and the server stops.
    for stream in &mut watches {
        let end = tokio::time::timeout(ARRIVES, stream.message()).await.expect("the watch ends");
        assert!(matches!(end, Ok(None)), "{end:?}");
    }
    tokio::time::timeout(ARRIVES, server).await.expect("the server stops").unwrap().unwrap();
}

#[tokio::test]
async fn once_stopped_new_watches_are_unavailable() {
    let (monitor, _app) = on_request();
    let health = GrpcHealthService::builder(monitor.clone()).build().unwrap();
    // A server that outlives the watches, as during a drain.
    let (address, _server) = serve_until(&health, std::future::pending()).await;
    let mut client = client(address).await;
    health.stop_watches();
    let error = client.watch(HealthCheckRequest { service: String::new() }).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::Unavailable);
    // Check still answers.
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
}

#[tokio::test]
async fn with_no_drain_delay_every_watch_is_told_before_it_ends() {
    let (monitor, _app) = crate::on_request_with(|monitor| monitor.group("orders.v1.Orders", ["database", "cache"]));
    let health = GrpcHealthService::builder(monitor.clone())
        .map("orders.v1.Alive", health_core::monitor::Subject::group("liveness"))
        .build()
        .unwrap();
    let address = serve(&health).await;
    let mut client = client(address).await;
    let names = ["", "database", "startup", "orders.v1.Orders", "liveness", "orders.v1.Alive"];
    let mut watches = watch_serving(&mut client, &names).await;
    // `drained(ZERO)` stops the watches as soon as shutdown begins.
    monitor.begin_shutdown();
    for (name, stream) in names.iter().zip(&mut watches) {
        // The names that drain are told; liveness and the components keep their status.
        if !matches!(*name, "database" | "liveness" | "orders.v1.Alive") {
            let told = tokio::time::timeout(ARRIVES, stream.message()).await.expect("a message").unwrap();
            assert_eq!(
                told.map(|response| crate::support::serving(&response)),
                Some(ServingStatus::NotServing),
                "{name:?}"
            );
        }
        let end = tokio::time::timeout(ARRIVES, stream.message()).await.expect("the watch ends");
        assert!(matches!(end, Ok(None)), "{name:?}: {end:?}");
    }
}

#[tokio::test]
async fn list_while_draining_is_not_serving_for_the_names_that_drain_and_measures_the_others() {
    let (monitor, app) = crate::on_request_with(|monitor| monitor.group("orders.v1.Orders", ["database"]));
    let health = GrpcHealthService::builder(monitor.clone())
        .map("orders.v1.Alive", health_core::monitor::Subject::group("liveness"))
        .map("orders.v1.Cache", health_core::monitor::Subject::component("cache"))
        .build()
        .unwrap();
    // A server that outlives the watches, as during a drain.
    let (address, _server) = serve_until(&health, std::future::pending()).await;
    monitor.begin_shutdown();
    app.set_cache(health_core::Status::Down);
    let listed = crate::support::list(address).await;
    assert_eq!(listed.len(), 11);
    for (name, status) in listed {
        let expected = match name.as_str() {
            "liveness" | "process" | "database" | "orders.v1.Alive" => ServingStatus::Serving,
            // Measured: the cache is down.
            "cache" | "orders.v1.Cache" => ServingStatus::NotServing,
            // Draining: "", the groups, the defined group.
            _ => ServingStatus::NotServing,
        };
        assert_eq!(status, expected, "{name:?}");
    }
    let mut client = client(address).await;
    assert_eq!(check(&mut client, "orders.v1.Alive").await, Ok(ServingStatus::Serving));
    assert_eq!(check(&mut client, "orders.v1.Orders").await, Ok(ServingStatus::NotServing));
    app.set_cache(health_core::Status::Up);
    assert_eq!(check(&mut client, "orders.v1.Cache").await, Ok(ServingStatus::Serving), "measured while draining");
}
