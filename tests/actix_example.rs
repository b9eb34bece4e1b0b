//! The actix-web example as a user runs it: `cargo run --example actix`
//! must keep the promises of the axum one, on its own.

#[path = "support/http.rs"]
mod client;
#[path = "support/example.rs"]
mod example;

use std::time::{Duration, Instant};

use client::get;
use example::{Running, free_port, output, terminate};

/// Starts the example; every response from then on is checked against the
/// OpenAPI document it serves.
async fn start(arguments: &[&str], environment: &[(&str, String)]) -> Running {
    let running = example::start("actix", arguments, environment).await;
    client::register(running.address, get(running.address, "/openapi.json").await.json());
    running
}

#[tokio::test]
async fn it_serves_the_same_routes_as_the_axum_example_with_no_other_server_around() {
    let service = start(&[], &[]).await;
    for path in ["/health", "/health/live", "/health/ready", "/health/startup", "/health/group/dependencies"] {
        let answer = get(service.address, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.json()["status"], "UP", "{path}");
    }
    let storage = get(service.address, "/health/storage").await;
    assert!(storage.json()["components"]["storage"]["details"]["free_percent"].is_number(), "{}", storage.body);
    assert_eq!(get(service.address, "/health/database").await.status, 404, "no DATABASE_URL, no database");
    let page = get(service.address, "/health/ui").await;
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert_eq!(get(service.address, "/").await.body, "hello\n", "the application's own routes");
    // The document it serves is the one the axum example serves: the same endpoints.
    let served = get(service.address, "/openapi.json").await.json();
    let axum = std::process::Command::new(example::example_binary("service"))
        .arg("--openapi")
        .env_clear()
        .output()
        .expect("the axum example prints its document");
    let axum: serde_json::Value = serde_json::from_slice(&axum.stdout).expect("a JSON document");
    assert_eq!(served, axum, "both examples describe the same endpoints");
}

#[tokio::test]
async fn an_unreachable_critical_database_fails_readiness_only_and_leaks_no_password() {
    for arguments in [&[][..], &["--registry"]] {
        let url = format!("postgres://app:hunter2@127.0.0.1:{}/app", free_port());
        let mut service = start(arguments, &[("DATABASE_URL", url)]).await;
        let all = get(service.address, "/health").await;
        assert_eq!(all.status, 503, "{arguments:?}: {}", all.body);
        assert_eq!(get(service.address, "/health/ready").await.status, 503);
        assert_eq!(get(service.address, "/health/live").await.status, 200);
        assert_eq!(all.json()["components"]["database"]["status"], "DOWN");
        assert!(!all.body.contains("hunter2"), "{}", all.body);
        terminate(&service.child);
        tokio::time::timeout(Duration::from_secs(15), service.child.wait()).await.expect("it stops").unwrap();
        let logs = output(service.child).await;
        assert!(logs.contains("postgres://app:***@127.0.0.1"), "{logs}");
        assert!(!logs.contains("hunter2"), "{logs}");
    }
}

#[tokio::test]
async fn sigterm_drains_readiness_at_once_finishes_requests_and_exits_after_the_delay() {
    let drain = Duration::from_millis(2000);
    let mut service = start(&[], &[("DRAIN_MS", drain.as_millis().to_string())]).await;
    let address = service.address;
    assert_eq!(get(address, "/health/ready").await.status, 200);

    let in_flight = tokio::spawn(async move { get(address, "/slow").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let signalled = Instant::now();
    terminate(&service.child);

    // actix-web's own signal handling would stop the server at once; it must
    // keep answering, readiness DOWN, for the drain.
    let mut ready = get(address, "/health/ready").await;
    while ready.status == 200 && signalled.elapsed() < Duration::from_millis(600) {
        ready = get(address, "/health/ready").await;
    }
    assert_eq!(ready.status, 503, "readiness is DOWN soon after SIGTERM");
    assert_eq!(ready.json()["message"], "shutting down");
    assert_eq!(get(address, "/health/live").await.status, 200, "liveness stays UP while draining");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(get(address, "/health/ready").await.status, 503, "still answering a second into the drain");

    let slow = in_flight.await.unwrap();
    assert_eq!((slow.status, slow.body.as_str()), (200, "slow\n"), "the in-flight request finishes");

    let status = tokio::time::timeout(Duration::from_secs(15), service.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(signalled.elapsed() >= drain, "exited before the drain delay: {:?}", signalled.elapsed());
}
