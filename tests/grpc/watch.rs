//! `Watch`: the status at once, then changes and only changes, from the
//! monitor's tracking; unknown names; many watchers.

use std::time::Duration;

use health_core::grpc::GrpcHealthService;
use health_core::monitor::Subject;
use health_core::{Status, health_check};
use tonic_health::pb::health_check_response::ServingStatus;

use crate::support::{check, client, next, serve, watch};
use crate::{REFRESH, background, on_request};

/// Long enough for several refreshes.
const QUIET: Duration = Duration::from_millis(600);

/// Long enough for a change to arrive.
const ARRIVES: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_watch_sends_the_status_at_once_then_each_change_and_only_changes() {
    let (monitor, app) =
        crate::background_with(|monitor| monitor.group("orders.v1.Orders", ["database", "cache"])).await;
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = client(serve(&health).await).await;
    let mut readiness = watch(&mut client, "readiness").await;
    let mut database = watch(&mut client, "database").await;
    let mut orders = watch(&mut client, "orders.v1.Orders").await;
    for stream in [&mut readiness, &mut database, &mut orders] {
        assert_eq!(next(stream, ARRIVES).await, Some(ServingStatus::Serving));
    }
    // Refreshes that change nothing send nothing.
    assert_eq!(next(&mut readiness, QUIET).await, None);

    app.set_database(Status::Down);
    for stream in [&mut readiness, &mut database, &mut orders] {
        assert_eq!(next(stream, ARRIVES).await, Some(ServingStatus::NotServing));
    }
    assert_eq!(next(&mut database, QUIET).await, None);
    // Degraded serves, like up: a change of health status that changes no
    // serving status is not sent.
    app.set_database(Status::Degraded);
    assert_eq!(next(&mut database, ARRIVES).await, Some(ServingStatus::Serving));
    app.set_database(Status::Up);
    assert_eq!(next(&mut database, QUIET).await, None);
    assert_eq!(next(&mut orders, ARRIVES).await, Some(ServingStatus::Serving));
}

#[tokio::test]
async fn on_request_a_watch_reads_once_and_then_follows_whoever_runs_the_checks() {
    let (monitor, app) = on_request();
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = client(serve(&health).await).await;
    app.set_database(Status::Down);
    let mut database = watch(&mut client, "database").await;
    assert_eq!(next(&mut database, ARRIVES).await, Some(ServingStatus::NotServing));
    assert_eq!(app.runs(), 1);
    app.set_database(Status::Up);
    assert_eq!(next(&mut database, QUIET).await, None, "nothing ran");
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
    assert_eq!(next(&mut database, ARRIVES).await, Some(ServingStatus::Serving));
}

#[tokio::test]
async fn a_watch_of_an_unknown_name_streams_service_unknown_and_stays_open() {
    let (monitor, _app) = on_request();
    let health = GrpcHealthService::builder(monitor).build().unwrap();
    let mut client = client(serve(&health).await).await;
    let mut unknown = watch(&mut client, "orders.v1.Orders").await;
    assert_eq!(next(&mut unknown, ARRIVES).await, Some(ServingStatus::ServiceUnknown));
    // Still open: `next` panics on an ended stream.
    assert_eq!(next(&mut unknown, QUIET).await, None);
}

#[tokio::test]
async fn ten_thousand_watchers_cost_no_run_of_their_own_and_all_see_a_change() {
    const WATCHERS: usize = 10_000;
    let (monitor, app) = background().await;
    let health = GrpcHealthService::builder(monitor.clone()).build().unwrap();
    let address = serve(&health).await;
    // Several connections, as many clients would open.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(client(address).await);
    }
    let runs_before = app.runs();
    let started = tokio::time::Instant::now();
    let mut streams = Vec::with_capacity(WATCHERS);
    for index in 0..WATCHERS {
        let client = &mut clients[index % 8];
        streams.push(watch(client, "").await);
    }
    for stream in &mut streams {
        assert_eq!(next(stream, ARRIVES).await, Some(ServingStatus::Serving));
    }
    app.set_database(Status::Down);
    for stream in &mut streams {
        assert_eq!(next(stream, ARRIVES).await, Some(ServingStatus::NotServing));
    }
    // Only the background refresh ran: at most one run per interval elapsed.
    let intervals = (started.elapsed().as_millis() / REFRESH.as_millis()) as usize + 2;
    let runs = app.runs() - runs_before;
    assert!(runs <= intervals, "{runs} runs in {intervals} intervals for {WATCHERS} watchers");
    assert_eq!(monitor.status(&Subject::Overall).unwrap(), Some(Status::Down));
}

#[tokio::test]
async fn a_watch_follows_the_names_own_serving_statuses() {
    let (monitor, app) = background().await;
    let strict = health_core::monitor::StatusMap::default().degraded(health_core::grpc::ServingStatus::NotServing);
    let health = GrpcHealthService::builder(monitor)
        .serving_statuses_for(Subject::component("database"), strict)
        .build()
        .unwrap();
    let mut client = client(serve(&health).await).await;
    let mut database = watch(&mut client, "database").await;
    let mut whole = watch(&mut client, "").await;
    assert_eq!(next(&mut database, ARRIVES).await, Some(ServingStatus::Serving));
    assert_eq!(next(&mut whole, ARRIVES).await, Some(ServingStatus::Serving));
    app.set_database(Status::Degraded);
    assert_eq!(next(&mut database, ARRIVES).await, Some(ServingStatus::NotServing));
    // The whole keeps the default mapping: degraded serves.
    assert_eq!(next(&mut whole, QUIET).await, None);
}

#[health_check(timeout = "100ms")]
async fn search() {}

/// A report whose liveness group is empty: no check names it.
#[derive(health_core::HealthReport, Default)]
struct NoLiveness {
    search: SearchCheck,
}

#[tokio::test]
async fn a_watch_of_an_empty_group_is_serving_at_once() {
    for monitor in [
        health_core::monitor::Monitor::new(NoLiveness::default(), ()),
        health_core::monitor::Monitor::builder(NoLiveness::default(), ()).refresh_every(REFRESH).build().unwrap(),
    ] {
        let health = GrpcHealthService::builder(monitor).build().unwrap();
        let mut client = client(serve(&health).await).await;
        let mut liveness = watch(&mut client, "liveness").await;
        assert_eq!(next(&mut liveness, ARRIVES).await, Some(ServingStatus::Serving));
        assert_eq!(check(&mut client, "liveness").await, Ok(ServingStatus::Serving));
    }
}
