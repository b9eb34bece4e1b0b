//! Other services' health read as health: real services of this crate (one
//! healthy, one with a dead critical dependency and an impaired one), and
//! local servers answering as Spring Boot Actuator and as
//! `application/health+json` do, a slow one and a garbled one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use health_core::http::HealthService;
use health_core::monitor::Monitor;
use health_core::probe::http_upstream::{self, RemoteHealthCheck, UpstreamOptions};
use health_core::{HealthReport, Outcome, Status, health_check};

use crate::support::{details, read_concurrently, registry_of, report_of, verdict};

#[health_check]
async fn queue() {}

#[health_check(critical)]
async fn database() -> Outcome {
    Outcome::status_only(Status::Down).with_message("connection refused: password=hunter2 rejected")
}

#[health_check]
async fn cache() -> Outcome {
    Outcome::status_only(Status::Degraded).with_message("replica lost its primary")
}

#[derive(HealthReport, Default)]
struct Healthy {
    queue: QueueCheck,
}

#[derive(HealthReport, Default)]
struct Failing {
    queue: QueueCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
}

#[derive(HealthReport, Default)]
struct Impaired {
    queue: QueueCheck,
    cache: CacheCheck,
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

async fn service<R: HealthReport<State = ()> + 'static>(report: R) -> SocketAddr {
    let health = HealthService::builder(Monitor::new(report, ()))
        .visibility(health_core::http::Visibility::Always)
        .build()
        .unwrap();
    serve(health.router()).await
}

fn check(url: String) -> RemoteHealthCheck {
    RemoteHealthCheck::new(reqwest::Client::new(), UpstreamOptions::get(&url).unwrap())
}

async fn read(url: String) -> (Status, String, serde_json::Value) {
    let report = report_of(check(url), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    (status, message, details(&report))
}

#[tokio::test]
async fn services_of_this_crate_are_read_with_their_components() {
    let healthy = service(Healthy::default()).await;
    let (status, message, figures) = read(format!("http://{healthy}/health")).await;
    assert_eq!(status, Status::Up, "{message}");
    assert_eq!(figures["format"], "health_core");
    assert_eq!(figures["components"]["queue"]["status"], "UP");

    // 503 with a body: DOWN with its components, the password redacted.
    let failing = service(Failing::default()).await;
    let (status, message, figures) = read(format!("http://{failing}/health")).await;
    assert_eq!((status, message.as_str()), (Status::Down, "the remote is DOWN: database"));
    assert_eq!(figures["http_status"], 503);
    assert_eq!(figures["remote_status"], "DOWN");
    assert_eq!(figures["components"]["database"]["status"], "DOWN");
    assert_eq!(figures["components"]["database"]["message"], "connection refused: password=*** rejected");
    assert_eq!(figures["components"]["cache"]["status"], "DEGRADED");
    assert!(!figures.to_string().contains("hunter2"));

    // DEGRADED answers 200 and stays DEGRADED.
    let impaired = service(Impaired::default()).await;
    let (status, message, figures) = read(format!("http://{impaired}/health")).await;
    assert_eq!((status, message.as_str()), (Status::Degraded, "the remote is DEGRADED: cache"));
    assert_eq!(figures["http_status"], 200);
    assert_eq!(figures["components"]["cache"]["message"], "replica lost its primary");
}

const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"org.springframework.jdbc.CannotGetJdbcConnectionException: token=abc123 expired"}},"diskSpace":{"status":"UP","details":{"total":1000,"free":500}},"ping":{"status":"UP"}},"groups":["liveness","readiness"]}"#;
const SPRING_OUT: &str = r#"{"status":"OUT_OF_SERVICE","components":{"ping":{"status":"UP"}}}"#;
const SPRING_UP: &str = r#"{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL"}}}}"#;
const HEALTH_JSON: &str = r#"{"status":"warn","version":"1","checks":{"db:responseTime":[{"componentType":"datastore","status":"warn","output":"answered in 900 ms"}],"uptime":[{"status":"pass","observedValue":1209600}]}}"#;

async fn others() -> SocketAddr {
    let json = |code: StatusCode, body: &'static str| (code, [(header::CONTENT_TYPE, "application/json")], body);
    let app = Router::new()
        .route("/spring/down", get(move || async move { json(StatusCode::SERVICE_UNAVAILABLE, SPRING_DOWN) }))
        .route("/spring/out", get(move || async move { json(StatusCode::SERVICE_UNAVAILABLE, SPRING_OUT) }))
        .route("/spring/up", get(move || async move { json(StatusCode::OK, SPRING_UP) }))
        .route(
            "/health-json",
            get(|| async { (StatusCode::OK, [(header::CONTENT_TYPE, "application/health+json")], HEALTH_JSON) }),
        )
        .route("/garbled", get(|| async { (StatusCode::OK, "<html>it works</html>") }))
        .route("/array", get(move || async move { json(StatusCode::OK, "[1, 2]") }))
        .route("/no-status", get(move || async move { json(StatusCode::OK, r#"{"healthy":true}"#) }))
        .route("/unauthorized", get(move || async move { json(StatusCode::UNAUTHORIZED, r#"{"status":"UP"}"#) }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        );
    serve(app).await
}

#[tokio::test]
async fn spring_boot_and_health_json_reports_are_read_as_health() {
    let server = others().await;
    let (status, message, figures) = read(format!("http://{server}/spring/down")).await;
    assert_eq!((status, message.as_str()), (Status::Down, "the remote is DOWN: db"));
    assert_eq!(figures["format"], "spring_boot");
    assert_eq!(
        figures["components"]["db"]["message"],
        "org.springframework.jdbc.CannotGetJdbcConnectionException: token=*** expired"
    );
    assert_eq!(figures["components"]["diskSpace"]["status"], "UP");
    assert_eq!(read(format!("http://{server}/spring/out")).await.0, Status::Down);
    let (status, _, figures) = read(format!("http://{server}/spring/up")).await;
    assert_eq!(status, Status::Up);
    assert_eq!(figures["format"], "spring_boot");

    let (status, message, figures) = read(format!("http://{server}/health-json")).await;
    assert_eq!((status, message.as_str()), (Status::Degraded, "the remote is DEGRADED: db:responseTime"));
    assert_eq!(figures["format"], "health_json");
    assert_eq!(figures["remote_status"], "warn");
    assert_eq!(figures["components"]["db:responseTime"]["message"], "answered in 900 ms");
    assert_eq!(figures["components"]["uptime"]["status"], "UP");
}

#[tokio::test]
async fn a_garbled_or_slow_remote_is_down_and_bounded() {
    let server = others().await;
    let (status, message, figures) = read(format!("http://{server}/garbled")).await;
    assert_eq!(status, Status::Down);
    assert!(message.starts_with("answered 200, not a health report: "), "{message}");
    assert_eq!(figures["http_status"], 200);
    assert_eq!(read(format!("http://{server}/array")).await.1, "answered 200, not a health report");
    assert_eq!(
        read(format!("http://{server}/no-status")).await.1,
        "answered 200, a JSON object without a health status"
    );
    // A 4xx is the URL's or the credentials' fault: DOWN, whatever its body says.
    let (status, message, _) = read(format!("http://{server}/unauthorized")).await;
    assert_eq!((status, message.as_str()), (Status::Down, "answered 401: not a health report"));

    let started = Instant::now();
    let report = report_of(check(format!("http://{server}/slow")), Duration::from_millis(300)).await;
    assert_eq!(verdict(&report).0, Status::Down, "{:?}", verdict(&report));
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let nothing =
        http_upstream::health(&reqwest::Client::new(), &UpstreamOptions::get("http://127.0.0.1:1/health").unwrap())
            .await;
    assert_eq!(nothing.status(), Status::Down);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_reads_answer_as_one() {
    let impaired = service(Impaired::default()).await;
    let monitor = Monitor::new(registry_of(check(format!("http://{impaired}/health")), Duration::from_secs(2)), ());
    for answer in read_concurrently(&monitor).await {
        assert_eq!(answer, (Status::Degraded, "the remote is DEGRADED: cache".to_owned()));
    }
}
