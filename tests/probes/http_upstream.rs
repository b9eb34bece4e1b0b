//! HTTP upstreams through `reqwest`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use health_core::Status;
use health_core::probe::Verdict;
use health_core::probe::http_upstream::{RequestCheck, UpstreamOptions};

use health_core::testing::{Direction, FaultProxy, SilentServer};

use crate::support::{assert_secret_absent, closed_port, details, report_of, verdict};

/// An upstream with a healthy, a failing and a slow route, behind a relay
/// that counts connections.
async fn upstream() -> (FaultProxy, tokio::task::JoinHandle<()>) {
    let app = Router::new()
        .route("/ok", get(|| async { "ready" }))
        .route("/starting", get(|| async { "starting" }))
        .route("/fail", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (FaultProxy::start(address).await.unwrap(), server)
}

fn options(relay: &FaultProxy, path: &str) -> UpstreamOptions {
    UpstreamOptions::get(&format!("http://{}{path}", relay.address())).unwrap()
}

#[tokio::test]
async fn an_answer_in_range_is_up_and_the_connection_is_reused_over_1000_reports() {
    let (relay, _server) = upstream().await;
    let client = reqwest::Client::new();
    let report = report_of(RequestCheck::new(client.clone(), options(&relay, "/ok")), Duration::from_secs(1)).await;
    assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
    let details = details(&report);
    assert_eq!(details["status"], 200);
    assert_eq!(details["method"], "GET");

    let registry =
        crate::support::registry_of(RequestCheck::new(client, options(&relay, "/ok")), health_core::DEFAULT_TIMEOUT);
    for _ in 0..1000 {
        assert_eq!(registry.report(&()).await.status, Status::Up);
    }
    assert_eq!(relay.accepted(), 1, "the probe opened a connection per run");
}

#[tokio::test]
async fn a_status_out_of_range_or_a_rejected_body_is_judged() {
    let (relay, _server) = upstream().await;
    let client = reqwest::Client::new();
    let report = report_of(RequestCheck::new(client.clone(), options(&relay, "/fail")), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert_eq!(message, "answered 503, expected 200-299");

    let accepting = options(&relay, "/fail").expect_status(200..=503);
    assert_eq!(
        verdict(&report_of(RequestCheck::new(client.clone(), accepting), Duration::from_secs(1)).await).0,
        Status::Up
    );

    let body = options(&relay, "/starting").body(|body| {
        if body == b"ready" { Verdict::up() } else { Verdict::degraded("the upstream is still starting") }
    });
    let report = report_of(RequestCheck::new(client, body), Duration::from_secs(1)).await;
    assert_eq!(verdict(&report), (Status::Degraded, "the upstream is still starting".to_owned()));
}

#[tokio::test]
async fn a_closed_port_and_a_silent_server_are_down_within_the_timeout_and_a_slow_one_degraded() {
    let blackhole = SilentServer::start().await.unwrap();
    let timeout = Duration::from_millis(500);
    let client = reqwest::Client::new();
    for address in [format!("127.0.0.1:{}", closed_port()), blackhole.address().to_string()] {
        let options = UpstreamOptions::get(&format!("http://{address}/health")).unwrap();
        let started = Instant::now();
        let report = report_of(RequestCheck::new(client.clone(), options), timeout).await;
        assert_eq!(verdict(&report).0, Status::Down, "{address}");
        assert!(started.elapsed() < timeout * 3);
    }
    let closed = UpstreamOptions::get(&format!("http://127.0.0.1:{}/health", closed_port())).unwrap();
    let message = verdict(&report_of(RequestCheck::new(client.clone(), closed), timeout).await).1;
    assert!(message.to_lowercase().contains("refused"), "{message}");

    let (relay, _server) = upstream().await;
    relay.latency(Direction::Both, Duration::from_millis(150));
    let slow = options(&relay, "/ok").slow_after(Duration::from_millis(100));
    let report = report_of(RequestCheck::new(client, slow), Duration::from_secs(2)).await;
    assert_eq!(verdict(&report).0, Status::Degraded, "{:?}", verdict(&report));
}

#[tokio::test]
async fn credentials_in_the_url_appear_nowhere() {
    let secret = "hunter2-http-secret";
    let options = UpstreamOptions::get(&format!("http://probe:{secret}@127.0.0.1:{}/health", closed_port())).unwrap();
    let report = report_of(RequestCheck::new(reqwest::Client::new(), options), Duration::from_millis(500)).await;
    assert_eq!(verdict(&report).0, Status::Down);
    assert_secret_absent(&report, secret);
    let details = details(&report);
    assert!(details["url"].as_str().unwrap().starts_with("http://probe:***@127.0.0.1:"));
}
