//! The health endpoints over a real socket: routes, methods, status codes,
//! formats, query parameters, visibility, background mode and shutdown.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client::{get, request};
use health_core::http::{ConfigError, Endpoint, HealthEndpoints, HealthService, StatusChange, StatusCodes, Visibility};
use health_core::{HealthReport, Outcome, Status, health_check};
use http::StatusCode;
use serde_json::json;

/// What the checks report, changeable while the server runs.
#[derive(Default)]
struct App {
    /// 0: up, 1: down.
    database: AtomicU8,
    /// 0: up, 1: degraded.
    cache: AtomicU8,
    runs: AtomicUsize,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Pool {
    idle: u32,
}

/// The process itself answers.
#[health_check(groups(liveness, readiness, startup))]
async fn process() {}

#[health_check(timeout = "200ms", critical)]
async fn database(app: &App) -> Result<Pool, String> {
    app.runs.fetch_add(1, Ordering::SeqCst);
    match app.database.load(Ordering::SeqCst) {
        0 => Ok(Pool { idle: 4 }),
        _ => Err("connection refused by postgres://app:hunter2@db/app".into()),
    }
}

#[health_check(timeout = "200ms")]
async fn cache(app: &App) -> Outcome<u32> {
    match app.cache.load(Ordering::SeqCst) {
        0 => Outcome::up(3),
        _ => Outcome::degraded(97).with_message("97% of memory used"),
    }
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
}

/// Starts the endpoints; every response the tests get from them is checked
/// against their OpenAPI document.
async fn start(endpoints: HealthEndpoints<Health>) -> (SocketAddr, HealthService<Health>) {
    let service = endpoints.build().expect("a valid configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    client::register(address, service.openapi());
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, service)
}

fn endpoints(app: Arc<App>) -> HealthEndpoints<Health> {
    HealthEndpoints::new(Health::default(), app).visibility(Visibility::Always)
}

#[tokio::test]
async fn every_route_answers_get_and_head_with_json() {
    let (address, _) = start(endpoints(Arc::default())).await;
    for path in ["/health", "/health/live", "/health/ready", "/health/startup", "/health/database"] {
        let answer = get(address, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/json"), "{path}");
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(answer.json()["status"], "UP", "{path}");
        let head = request(address, "HEAD", path, &[]).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has no body");
        // Each request runs its own report, whose timings may differ by a digit;
        // the background test compares the same snapshot's lengths exactly.
        let announced: usize = head.header("content-length").and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(
            announced.abs_diff(answer.body.len()) <= 8,
            "HEAD {path} announces {announced}, GET sent {}",
            answer.body.len()
        );
    }
}

#[tokio::test]
async fn routes_select_their_components() {
    let (address, _) = start(endpoints(Arc::default())).await;
    // Sorted: JSON objects have no order to compare.
    let names = |body: serde_json::Value| body["components"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(get(address, "/health").await.json()), ["cache", "database", "process"]);
    assert_eq!(names(get(address, "/health/live").await.json()), ["process"], "liveness: only the process");
    assert_eq!(names(get(address, "/health/ready").await.json()), ["cache", "database", "process"]);
    assert_eq!(names(get(address, "/health/cache").await.json()), ["cache"]);
    assert_eq!(names(get(address, "/health?exclude=cache&exclude=process").await.json()), ["database"]);
    let body = get(address, "/health/database").await.json();
    assert_eq!(body["components"]["database"]["details"], json!({"idle": 4}));
}

#[tokio::test]
async fn a_database_outage_fails_readiness_but_not_liveness() {
    let app = Arc::new(App::default());
    app.database.store(1, Ordering::SeqCst);
    let (address, _) = start(endpoints(Arc::clone(&app))).await;
    assert_eq!(get(address, "/health").await.status, 503);
    assert_eq!(get(address, "/health/ready").await.status, 503);
    assert_eq!(get(address, "/health/database").await.status, 503);
    assert_eq!(get(address, "/health/live").await.status, 200, "an outage must not restart the pod");
    let body = get(address, "/health/database").await.body;
    assert!(body.contains("postgres://app:***@db/app") && !body.contains("hunter2"), "{body}");
}

#[tokio::test]
async fn status_codes_are_configurable_per_endpoint() {
    let app = Arc::new(App::default());
    app.cache.store(1, Ordering::SeqCst);
    let consul = StatusCodes::default().degraded(StatusCode::TOO_MANY_REQUESTS);
    let (address, _) = start(endpoints(app).status_codes(Endpoint::Ready, consul)).await;
    assert_eq!(get(address, "/health/ready").await.status, 429);
    assert_eq!(get(address, "/health").await.status, 200, "other endpoints keep the default");
    assert_eq!(get(address, "/health").await.json()["status"], "DEGRADED");
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_json_errors() {
    let (address, _) = start(endpoints(Arc::default())).await;
    assert_eq!(get(address, "/health/").await.json()["status"], "UP", "a trailing slash is the same endpoint");
    let nested = get(address, "/health/database/extra").await;
    assert_eq!((nested.status, nested.json()["error"].as_str()), (404, Some("unknown_component")));
    let missing = get(address, "/health/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "unknown_component");
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let answer = request(address, method, "/health", &[]).await;
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{method}");
        assert_eq!(answer.json()["error"], "method_not_allowed");
    }
}

#[tokio::test]
async fn bad_queries_are_client_errors_with_json_bodies() {
    let (address, _) = start(endpoints(Arc::default())).await;
    let long = format!("/health?exclude={}", "x".repeat(2000));
    let cases = [
        ("/health?exclude=", 400, "empty_exclude"),
        ("/health?exclude=cache&exclude=cache", 400, "repeated_exclude"),
        ("/health?exclude=nope", 404, "unknown_component"),
        ("/health?pretty=1", 400, "unknown_parameter"),
        ("/health?verbose=perhaps", 400, "bad_parameter"),
        ("/health?exclude=%GG", 400, "bad_parameter"),
        (long.as_str(), 414, "query_too_long"),
    ];
    for (path, status, code) in cases {
        let answer = get(address, path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert_eq!(answer.json()["error"], code, "{path}");
        assert!(answer.json()["message"].is_string());
    }
}

#[tokio::test]
async fn formats_are_negotiated() {
    let app = Arc::new(App::default());
    app.database.store(1, Ordering::SeqCst);
    let (address, _) = start(endpoints(app)).await;

    let draft = request(address, "GET", "/health", &[("Accept", "application/health+json")]).await;
    assert_eq!(draft.header("content-type"), Some("application/health+json"));
    let body = draft.json();
    assert_eq!(body["status"], "fail");
    let check = &body["checks"]["database:responseTime"][0];
    assert_eq!(check["status"], "fail");
    assert_eq!(check["componentId"], "database");
    assert_eq!(check["observedUnit"], "ms");
    assert!(check["observedValue"].is_number() && check["time"].is_string());
    assert!(check["output"].as_str().unwrap().contains("connection refused"));

    let text = get(address, "/health?verbose").await;
    assert_eq!(text.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(text.status, 503);
    let lines: Vec<&str> = text.body.lines().collect();
    assert_eq!(lines[0], "[+]process ok");
    assert!(lines[1].starts_with("[-]database failed: connection refused"), "{}", text.body);
    assert_eq!(lines[2], "[+]cache ok");
    assert_eq!(lines[3], "health check failed");

    let refused = request(address, "GET", "/health", &[("Accept", "image/png")]).await;
    assert_eq!(refused.status, 406);
    assert_eq!(refused.json()["error"], "not_acceptable");
    // A range with an impossible quality is ignored, as clients send odd ones.
    let odd = request(address, "GET", "/health", &[("Accept", "*/*;q=7")]).await;
    assert_eq!(odd.status, 406);
    assert_eq!(odd.json()["error"], "not_acceptable");
}

#[tokio::test]
async fn visibility_never_shows_statuses_only() {
    let app = Arc::new(App::default());
    app.database.store(1, Ordering::SeqCst);
    let (address, _) = start(HealthEndpoints::new(Health::default(), app)).await;
    let body = get(address, "/health").await.json();
    assert_eq!(body["components"]["database"], json!({"status": "DOWN"}));
    assert!(body.get("timestamp").is_none());
    let text = get(address, "/health?verbose").await.body;
    assert!(text.contains("[-]database failed: reason withheld") && !text.contains("refused"), "{text}");
}

#[tokio::test]
async fn visibility_when_authorized_needs_the_bearer_token() {
    let app = Arc::new(App::default());
    app.database.store(1, Ordering::SeqCst);
    let visibility = Visibility::WhenAuthorized { token: "let-me-see".into() };
    let (address, _) = start(HealthEndpoints::new(Health::default(), app).visibility(visibility)).await;

    let anonymous = get(address, "/health").await.json();
    assert!(anonymous["components"]["database"].get("message").is_none());
    let authorized = request(address, "GET", "/health", &[("Authorization", "Bearer let-me-see")]).await;
    assert_eq!(authorized.status, 503);
    assert!(authorized.json()["components"]["database"]["message"].is_string());
    for wrong in ["Bearer let-me-in", "Basic bGV0LW1lLXNlZQ==", "Bearer"] {
        let refused = request(address, "GET", "/health", &[("Authorization", wrong)]).await;
        assert_eq!(refused.status, 401, "{wrong}");
        assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
        assert_eq!(refused.json()["error"], "unauthorized");
    }
}

#[tokio::test]
async fn shutdown_makes_readiness_down_at_once_and_keeps_liveness_up() {
    let (address, service) = start(endpoints(Arc::default())).await;
    assert_eq!(get(address, "/health/ready").await.status, 200);
    service.shutdown_handle().begin_shutdown();
    let ready = get(address, "/health/ready").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["status"], "DOWN");
    assert_eq!(ready.json()["message"], "shutting down");
    assert_eq!(get(address, "/health/live").await.status, 200);
}

#[tokio::test]
async fn background_mode_serves_snapshots_without_running_checks() {
    let app = Arc::new(App::default());
    let (address, _) = start(endpoints(Arc::clone(&app)).refresh_every(Duration::from_secs(3600))).await;
    // The first refresh runs at once; wait for its snapshot (its answer has an age).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while get(address, "/health").await.header("age").is_none() {
        assert!(std::time::Instant::now() < deadline, "no background report within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Requests before the first report ran the checks themselves; from now on none do.
    let runs = app.runs.load(Ordering::SeqCst);
    for _ in 0..20 {
        let answer = get(address, "/health/ready").await;
        assert_eq!(answer.status, 200);
        assert!(answer.header("age").is_some(), "snapshots show their age");
    }
    // Bodies rendered once per snapshot stay apart by endpoint, format and options.
    let live = get(address, "/health/live").await.json();
    assert_eq!(live["components"].as_object().unwrap().len(), 1);
    let text = get(address, "/health/ready?verbose").await;
    assert!(text.body.starts_with("[+]process ok"), "{}", text.body);
    let draft = request(address, "GET", "/health", &[("Accept", "application/health+json")]).await;
    assert_eq!(draft.json()["status"], "pass");
    let excluded = get(address, "/health?exclude=cache").await.json();
    assert!(excluded["components"].get("cache").is_none() && excluded["components"].get("database").is_some());
    assert!(get(address, "/health").await.json()["components"].get("cache").is_some());
    let head = request(address, "HEAD", "/health", &[]).await;
    assert!(head.body.is_empty());
    let full = get(address, "/health").await;
    assert_eq!(
        head.header("content-length").map(str::to_owned),
        Some(full.body.len().to_string()),
        "HEAD announces the length GET sends"
    );
    assert_eq!(app.runs.load(Ordering::SeqCst), runs, "requests answered from snapshots run no checks");
}

#[tokio::test]
async fn status_changes_are_reported_once_each() {
    let app = Arc::new(App::default());
    let changes: Arc<Mutex<Vec<StatusChange>>> = Arc::default();
    let recorded = Arc::clone(&changes);
    let endpoints =
        endpoints(Arc::clone(&app)).on_status_change(move |change| recorded.lock().unwrap().push(change.clone()));
    let (address, _) = start(endpoints).await;
    get(address, "/health").await;
    get(address, "/health").await;
    let first: Vec<_> = changes.lock().unwrap().drain(..).collect();
    assert_eq!(first.len(), 4, "three components and the overall status, seen for the first time: {first:?}");
    app.database.store(1, Ordering::SeqCst);
    get(address, "/health").await;
    get(address, "/health").await;
    let changed = changes.lock().unwrap().clone();
    assert_eq!(
        changed,
        [
            StatusChange { component: Some("database"), from: Some(Status::Up), to: Status::Down },
            StatusChange { component: None, from: Some(Status::Up), to: Status::Down },
        ]
    );
}

#[tokio::test]
async fn the_router_mounts_under_any_prefix() {
    let service = endpoints(Arc::default()).base_path("/internal/health").build().unwrap();
    let app = axum::Router::new().nest("/api/v1", service.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(get(address, "/api/v1/internal/health/ready").await.status, 200);
    assert_eq!(get(address, "/internal/health").await.status, 404);
}

#[test]
fn configurations_that_cannot_work_are_rejected() {
    let build = |endpoints: HealthEndpoints<Health>| endpoints.build().err();
    assert_eq!(build(endpoints(Arc::default()).base_path("health")), Some(ConfigError::BadBasePath("health".into())));
    assert_eq!(
        build(endpoints(Arc::default()).base_path("/health/")),
        Some(ConfigError::BadBasePath("/health/".into()))
    );
    let no_body = StatusCodes::default().down(StatusCode::NO_CONTENT);
    assert_eq!(
        build(endpoints(Arc::default()).status_codes(Endpoint::Live, no_body)),
        Some(ConfigError::BadStatusCode { endpoint: Endpoint::Live, code: 204 })
    );
    let empty = Visibility::WhenAuthorized { token: String::new() };
    assert_eq!(build(endpoints(Arc::default()).visibility(empty)), Some(ConfigError::BadToken));
    assert_eq!(
        build(endpoints(Arc::default()).refresh_every(Duration::from_millis(10))),
        Some(ConfigError::RefreshTooFrequent(Duration::from_millis(10)))
    );
    assert_eq!(
        build(endpoints(Arc::default()).refresh_every(Duration::from_secs(1))),
        Some(ConfigError::NoRuntime),
        "outside a runtime no refresh task can start"
    );
}

#[tokio::test]
async fn the_layer_answers_health_paths_and_passes_the_rest_on() {
    use health_core::http::HealthLayer;
    let service = endpoints(Arc::default()).build().unwrap();
    let app = axum::Router::new()
        .route("/orders", axum::routing::get(|| async { "orders" }))
        .layer(HealthLayer::new(service));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(get(address, "/orders").await.body, "orders");
    assert_eq!(get(address, "/health/ready").await.json()["status"], "UP");
    assert_eq!(get(address, "/healthz").await.status, 404, "only the base path and below are health's");
}

#[tokio::test]
async fn disabled_components_are_never_run_or_shown() {
    let app = Arc::new(App::default());
    app.database.store(1, Ordering::SeqCst);
    let (address, _) = start(endpoints(Arc::clone(&app)).disable("database")).await;
    let body = get(address, "/health").await.json();
    assert_eq!(body["status"], "UP");
    assert!(body["components"].get("database").is_none());
    assert_eq!(get(address, "/health/database").await.status, 404);
    assert_eq!(get(address, "/health?exclude=database").await.status, 404);
    assert_eq!(app.runs.load(Ordering::SeqCst), 0);
    assert_eq!(
        endpoints(Arc::default()).disable("nope").build().err(),
        Some(ConfigError::UnknownComponent("nope".into()))
    );
}

static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Slow enough that concurrent requests overlap its run.
#[health_check(timeout = "2s", cache = "1m")]
async fn slow_cached() -> Result<usize, String> {
    let run = SLOW_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(run)
}

#[derive(HealthReport, Default)]
struct Cached {
    slow: SlowCachedCheck,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_run_of_a_cached_check() {
    let service = HealthEndpoints::new(Cached::default(), ()).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let requests: Vec<_> =
        (0..200).map(|_| tokio::spawn(async move { get(address, "/health").await.status })).collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_panicking_status_hook_changes_no_answer() {
    let endpoints = endpoints(Arc::default()).on_status_change(|_| panic!("a broken hook"));
    let (address, _) = start(endpoints).await;
    for _ in 0..3 {
        assert_eq!(get(address, "/health").await.status, 200);
    }
}

/// Answers after a while: the first background report takes time.
#[health_check(timeout = "2s")]
async fn slow_start() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[derive(HealthReport, Default)]
struct SlowStart {
    process: ProcessCheck,
    slow: SlowStartCheck,
}

#[tokio::test]
async fn liveness_is_answered_before_the_first_background_report() {
    let service =
        HealthEndpoints::new(SlowStart::default(), ()).refresh_every(Duration::from_secs(60)).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let started = std::time::Instant::now();
    let live = get(address, "/health/live").await;
    assert_eq!(live.status, 200, "{}", live.body);
    assert!(started.elapsed() < Duration::from_millis(450), "liveness did not wait for the 500 ms check");
}

/// A service that is never ready: an application at its concurrency limit.
#[derive(Clone)]
struct Saturated;

impl tower_service::Service<http::Request<String>> for Saturated {
    type Response = http::Response<String>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Pending
    }

    fn call(&mut self, _: http::Request<String>) -> Self::Future {
        unreachable!("never ready, never called")
    }
}

#[tokio::test]
async fn the_layer_answers_health_while_the_application_is_saturated() {
    use tower_layer::Layer;
    use tower_service::Service;
    let layer = health_core::http::HealthLayer::new(endpoints(Arc::default()).build().unwrap());
    let mut service = layer.layer(Saturated);
    std::future::poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
    let request = http::Request::get("/health/live").body(String::new()).unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), service.call(request)).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let request = http::Request::get("/orders").body(String::new()).unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(100), service.call(request)).await;
    assert!(waiting.is_err(), "other requests wait for the application to be ready");
}
