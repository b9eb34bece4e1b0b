//! The status page over a real socket: the page and its headers, the history
//! it reads (every answer checked against the OpenAPI document), visibility,
//! routes, and how often reading it makes checks run. Chromium drives the
//! page itself in `tests/browser/status_page.mjs`.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use client::{get, request};
use health_core::http::{ConfigError, HealthService, HealthServiceBuilder, StatusPageOptions, Visibility};
use health_core::monitor::Monitor;
use health_core::monitor::MonitorBuilder;
use health_core::{HealthReport, Outcome, health_check};
use serde_json::Value;

#[derive(Default)]
struct App {
    database_down: AtomicBool,
    database_runs: AtomicUsize,
    licence_runs: AtomicUsize,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct Pool {
    idle: u32,
}

/// The primary database.
#[health_check(timeout = "200ms", critical)]
async fn database(app: &App) -> Outcome<Pool> {
    app.database_runs.fetch_add(1, Ordering::SeqCst);
    if app.database_down.load(Ordering::SeqCst) {
        Outcome::down(Pool { idle: 0 }).with_message("connection refused by db.internal:5432")
    } else {
        Outcome::up(Pool { idle: 3 })
    }
}

#[health_check(timeout = "200ms", cache = "60m")]
async fn licence(app: &App) {
    app.licence_runs.fetch_add(1, Ordering::SeqCst);
}

/// A component named like the page's segment, and longer.
#[health_check(timeout = "200ms")]
async fn uix() {}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    database: DatabaseCheck,
    licence: LicenceCheck,
    uix: UixCheck,
}

fn builder() -> (MonitorBuilder<Health>, Arc<App>) {
    let app = Arc::new(App::default());
    (Monitor::builder(Health::default(), Arc::clone(&app)), app)
}

/// Serves `endpoints`; every answer the tests get is checked against their document.
async fn start(endpoints: HealthServiceBuilder<Health>) -> (SocketAddr, HealthService<Health>) {
    let service = endpoints.build().expect("a valid configuration");
    (client::serve(&service).await, service)
}

async fn with_page(visibility: Visibility) -> (SocketAddr, Arc<App>) {
    let (monitor, app) = builder();
    let endpoints =
        HealthService::builder(monitor.build().unwrap()).visibility(visibility).status_page(StatusPageOptions::new());
    (start(endpoints).await.0, app)
}

fn component<'a>(history: &'a Value, name: &str) -> &'a Value {
    history["components"].as_array().unwrap().iter().find(|c| c["name"] == name).expect("listed")
}

#[tokio::test]
async fn the_page_is_self_contained_and_locked_down() {
    let (address, _) = with_page(Visibility::Always).await;
    let page = get(address, "/health/ui").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let policy = page.header("content-security-policy").expect("a policy");
    let directives = [
        "default-src 'none'",
        "script-src 'sha256-",
        "style-src 'sha256-",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
    ];
    for directive in directives {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(page.body.starts_with("<!doctype html>") && page.body.contains("<script>"));
    println!("status page: {} bytes", page.body.len());

    let head = request(address, "HEAD", "/health/ui", &[]).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some(page.body.len().to_string().as_str()));
    assert_eq!(head.header("content-security-policy"), Some(policy));

    // Bad requests get an error with a body, like every endpoint's.
    let refused = [
        (request(address, "POST", "/health/ui", &[]).await, 405, "method_not_allowed"),
        (request(address, "DELETE", "/health/ui/other", &[]).await, 405, "method_not_allowed"),
        (get(address, "/health/ui?theme=dark").await, 400, "unknown_parameter"),
        (request(address, "GET", "/health/ui", &[("accept", "application/json")]).await, 406, "not_acceptable"),
        (request(address, "GET", "/health/ui/history", &[("accept", "text/html")]).await, 406, "not_acceptable"),
        (get(address, "/health/ui/other").await, 404, "not_found"),
        (get(address, "/health/ui/history/more").await, 404, "not_found"),
    ];
    for (answer, status, error) in refused {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.json()["error"], error);
    }
    // A component whose name starts like the page's is still served.
    assert_eq!(get(address, "/health/uix").await.status, 200);
}

#[tokio::test]
async fn the_history_shows_every_status_with_its_transitions_and_runs() {
    let (address, app) = with_page(Visibility::Always).await;
    get(address, "/health/ui/history").await;
    app.database_down.store(true, Ordering::SeqCst);
    let history = get(address, "/health/ui/history").await;
    assert_eq!(history.status, 200);
    assert_eq!(history.header("x-content-type-options"), Some("nosniff"));
    let history = history.json();
    assert_eq!((history["status"].as_str(), history["details_shown"].as_bool()), (Some("DOWN"), Some(true)));
    assert_eq!(history["visibility"], "always");
    assert_eq!(history["poll_ms"], 5000, "the default poll when checks run on each read");

    assert!(history["timestamp"].is_string() && history["now"].is_string());
    let database = component(&history, "database");
    assert_eq!((database["status"].as_str(), database["critical"].as_bool()), (Some("DOWN"), Some(true)));
    assert_eq!(database["description"], "The primary database.");
    assert_eq!(database["message"], "connection refused by db.internal:5432");
    assert_eq!(database["details"]["idle"], 0);
    assert_eq!(database["timeout_ms"], 200.0);
    assert_eq!(database["runs"]["status"], serde_json::json!(["UP", "DOWN"]));
    assert_eq!(database["runs"]["duration_ms"].as_array().map(Vec::len), Some(2));
    let transitions = database["transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 2);
    assert_eq!((transitions[1]["from"].as_str(), transitions[1]["to"].as_str()), (Some("UP"), Some("DOWN")));
    assert_eq!(transitions[1]["message"], "connection refused by db.internal:5432");
    // The licence's second result came from its cache: one run.
    assert_eq!(component(&history, "licence")["runs"]["status"].as_array().map(Vec::len), Some(1));

    let readiness = history["groups"].as_array().unwrap().iter().find(|g| g["name"] == "readiness").unwrap();
    assert_eq!(readiness["status"], "DOWN");
    assert_eq!(readiness["transitions"][1]["message"], "DOWN: database");
    assert_eq!(history["overall"]["transitions"].as_array().map(Vec::len), Some(2));
}

/// What only details show, anywhere in a history.
fn assert_statuses_only(body: &str) {
    let only_with_details = [
        "\"message\"",
        "\"details\"",
        "\"runs\"",
        "\"duration_ms\"",
        "\"timeout_ms\"",
        "\"description\"",
        "\"critical\"",
        "\"timestamp\"",
        "db.internal",
        "primary database",
    ];
    for key in only_with_details {
        assert!(!body.contains(key), "{key} in {body}");
    }
}

#[tokio::test]
async fn the_history_follows_visibility() {
    let (address, app) = with_page(Visibility::Never).await;
    app.database_down.store(true, Ordering::SeqCst);
    let never = get(address, "/health/ui/history").await;
    assert_statuses_only(&never.body);
    let never = never.json();
    assert_eq!((never["details_shown"].as_bool(), never["visibility"].as_str()), (Some(false), Some("never")));
    assert_eq!(component(&never, "database")["status"], "DOWN");
    assert_eq!(component(&never, "database")["transitions"][0]["to"], "DOWN");

    let (address, app) = with_page(Visibility::when_authorized("s3cret")).await;
    app.database_down.store(true, Ordering::SeqCst);
    let anonymous = get(address, "/health/ui/history").await;
    assert_statuses_only(&anonymous.body);
    assert_eq!(anonymous.json()["visibility"], "when_authorized");
    let wrong = request(address, "GET", "/health/ui/history", &[("authorization", "Bearer nope")]).await;
    assert_eq!((wrong.status, wrong.header("www-authenticate")), (401, Some("Bearer")));
    let authorized = request(address, "GET", "/health/ui/history", &[("authorization", "Bearer s3cret")]).await;
    assert_eq!(component(&authorized.json(), "database")["message"], "connection refused by db.internal:5432");
    // The page itself carries nothing to hide: anyone gets it.
    assert_eq!(get(address, "/health/ui").await.status, 200);
}

#[tokio::test]
async fn reading_the_history_runs_checks_no_more_often_than_the_mode_does() {
    // In the background, polls read the latest report: they run nothing.
    let (monitor, app) = builder();
    let monitor = monitor.refresh_every(Duration::from_millis(300)).build().unwrap();
    let endpoints = HealthService::builder(monitor).status_page(StatusPageOptions::new());
    let (address, _) = start(endpoints).await;
    let first = get(address, "/health/ui/history").await.json();
    assert_eq!((first["background"].as_bool(), first["poll_ms"].as_u64()), (Some(true), Some(500)));
    let before = app.database_runs.load(Ordering::SeqCst);
    let started = std::time::Instant::now();
    for _ in 0..40 {
        get(address, "/health/ui/history").await;
    }
    let runs = app.database_runs.load(Ordering::SeqCst) - before;
    let refreshes = started.elapsed().as_millis() / 300 + 1;
    assert!(runs as u128 <= refreshes, "{runs} runs in {refreshes} refreshes");

    // On each read, a poll is one read: each check runs once, caches hold.
    let (monitor, app) = builder();
    let page = StatusPageOptions::new().poll_every(Duration::from_secs(2));
    let (address, _) = start(HealthService::builder(monitor.build().unwrap()).status_page(page)).await;
    for poll in 1..=5 {
        let history = get(address, "/health/ui/history").await.json();
        assert_eq!(history["poll_ms"], 2000);
        assert_eq!(app.database_runs.load(Ordering::SeqCst), poll);
    }
    assert_eq!(app.licence_runs.load(Ordering::SeqCst), 1, "its cache holds");
}

#[tokio::test]
async fn the_openapi_document_describes_the_page_and_its_history() {
    let (monitor, _) = builder();
    let service = HealthService::builder(monitor.build().unwrap())
        .visibility(Visibility::when_authorized("t"))
        .status_page(StatusPageOptions::new().segment("status"))
        .operation_id_prefix("shop")
        .build()
        .unwrap();
    assert_eq!(service.status_page_path().as_deref(), Some("/health/status"));
    let document = service.openapi();
    let page = &document["paths"]["/health/status"];
    assert_eq!(page["get"]["operationId"], "shopGetHealthStatusPage");
    assert_eq!(page["head"]["operationId"], "shopHeadHealthStatusPage");
    assert!(page["get"]["responses"]["200"]["headers"]["content-security-policy"].is_object());
    let history = &document["paths"]["/health/status/history"]["get"];
    assert_eq!(
        history["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HealthHistory"
    );
    assert!(history["responses"]["401"].is_object(), "a wrong token");
    assert!(document["components"]["schemas"]["HealthHistory"]["anyOf"].is_array(), "with details or without");

    let (monitor, _) = builder();
    let without = HealthService::builder(monitor.build().unwrap()).build().unwrap();
    assert!(without.status_page_path().is_none());
    let paths = without.openapi()["paths"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert!(!paths.iter().any(|path| path.starts_with("/health/ui")), "{paths:?}");
}

#[derive(HealthReport, Default)]
struct NamedUi {
    ui: UixCheck,
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let build = |page: StatusPageOptions| {
        let (monitor, _) = builder();
        HealthService::builder(monitor.build().unwrap()).status_page(page).build().err()
    };
    for segment in ["live", "ready", "startup", "group", "database", "", "a/b", "..", "ü"] {
        assert_eq!(
            build(StatusPageOptions::new().segment(segment)),
            Some(ConfigError::BadStatusPagePath(segment.into()))
        );
    }
    assert_eq!(build(StatusPageOptions::new().segment("status")), None);
    let fast = Duration::from_millis(100);
    assert_eq!(build(StatusPageOptions::new().poll_every(fast)), Some(ConfigError::BadPollInterval(fast)));
    let named_ui =
        HealthService::builder(Monitor::new(NamedUi::default(), ())).status_page(StatusPageOptions::new()).build();
    let error = named_ui.expect_err("a component named `ui` takes the page's place");
    assert_eq!(error, ConfigError::BadStatusPagePath("ui".into()));
    assert!(error.to_string().contains("named like no component"), "{error}");
}
