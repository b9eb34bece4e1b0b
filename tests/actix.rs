//! actix-web, natively: mounted in the two idiomatic ways, under any scope,
//! answering bad input exactly as the tower service does, the same under 64
//! concurrent reads. (tests/http.rs runs its whole suite over actix-web too.)

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;

use client::{Server, on, request};
use health_core::http::{HealthService, Visibility};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};

#[health_check(groups(liveness, readiness))]
async fn process() {}

#[health_check(timeout = "1s", critical)]
async fn database() -> Result<u32, String> {
    Ok(4)
}

#[derive(HealthReport, Default)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
}

fn service() -> HealthService<Health> {
    HealthService::builder(Monitor::new(Health::default(), ()))
        .visibility(Visibility::when_authorized("s3cret"))
        .openapi_path("/openapi.json")
        .build()
        .expect("a valid configuration")
}

/// Serves `app` (made once per worker) on a free port, on a thread of its own.
fn serve_app<F, A>(app: F) -> SocketAddr
where
    F: Fn() -> actix_web::App<A> + Send + Clone + 'static,
    A: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(app).workers(2).disable_signals().listen(listener).unwrap().run().await
        })
    });
    address
}

#[tokio::test]
async fn mounted_with_service_or_configure_under_any_scope() {
    let health = service();
    let (by_service, by_configure) = (health.clone(), health.clone());
    let service_app =
        serve_app(move || actix_web::App::new().service(actix_web::web::scope("/api/v1").service(by_service.actix())));
    let configure_app = serve_app(move || actix_web::App::new().configure(by_configure.actix_config()));
    for (address, prefix) in [(service_app, "/api/v1"), (configure_app, "")] {
        for path in ["/health", "/health/", "/health/live", "/health/ready", "/health/database"] {
            let answer = request(address, "GET", &format!("{prefix}{path}"), &[]).await;
            assert_eq!(answer.status, 200, "{prefix}{path}: {}", answer.body);
            assert_eq!(answer.json()["status"], "UP", "{prefix}{path}");
            assert_eq!(answer.header("content-type"), Some("application/json"));
        }
        let document = request(address, "GET", &format!("{prefix}/openapi.json"), &[]).await;
        assert_eq!(document.status, 200);
        assert_eq!(document.json(), health.openapi(), "the service's own document");
        // Paths beside the base path are the application's, not health's.
        for path in ["/healthz", "/health-check", "/"] {
            let answer = request(address, "GET", &format!("{prefix}{path}"), &[]).await;
            assert_eq!(answer.status, 404, "{prefix}{path}");
            assert!(!answer.body.contains("unknown_component"), "{prefix}{path} is not answered by health");
        }
    }
    // Outside its scope, nothing.
    assert_eq!(request(service_app, "GET", "/health/ready", &[]).await.status, 404);
}

/// A request an application's probes or scanners send.
struct Case {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
}

fn case(method: &'static str, path: impl Into<String>, headers: &[(&'static str, &str)]) -> Case {
    let headers = headers.iter().map(|(name, value)| (*name, (*value).to_owned())).collect();
    Case { method, path: path.into(), headers }
}

/// Requests good and bad.
fn cases() -> Vec<Case> {
    let long_token = format!("Bearer {}", "x".repeat(10_000));
    vec![
        case("GET", "/health", &[]),
        case("GET", "/health", &[("Authorization", "Bearer s3cret")]),
        case("GET", "/health", &[("Authorization", "Bearer wrong")]),
        case("GET", "/health", &[("Authorization", &long_token)]),
        case("GET", "/health", &[("Authorization", "Basic czNjcmV0")]),
        case("HEAD", "/health/ready", &[]),
        case("BREW", "/health", &[]),
        case("PURGE", "/health/ready", &[]),
        case("DELETE", "/health/live", &[]),
        case("GET", "/health/ready", &[("Accept", "text/html;q=0, application/json;q=0")]),
        case("GET", "/health/ready", &[("Accept", "junk/, ;;;q=x, */*;q=2")]),
        case("GET", "/health/ready", &[("Accept", "text/plain"), ("Accept", "application/json")]),
        case("GET", "/health/%FF%FE", &[]),
        case("GET", "/health/%2e%2e/etc/passwd", &[]),
        case("GET", format!("/health/{}", "a".repeat(8_000)), &[]),
        case("GET", "/health?exclude=%FF", &[]),
        case("GET", format!("/health?exclude={}", "x".repeat(3_000)), &[]),
        case("GET", "/health?verbose&verbose", &[]),
        case("GET", "/health/group/readiness", &[]),
        case("GET", "/openapi.json", &[("Accept", "application/yaml")]),
        case("POST", "/openapi.json", &[]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_same_answers_as_over_tower() {
    let health = service();
    let tower = on(Server::Axum, client::serve(&health)).await;
    let actix = on(Server::Actix, client::serve(&health)).await;
    for Case { method, path, headers } in cases() {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let over_tower = request(tower, method, &path, &headers).await;
        let over_actix = request(actix, method, &path, &headers).await;
        let shown = &path[..path.len().min(60)];
        assert!(over_actix.status < 500, "{method} {shown}: {} {}", over_actix.status, over_actix.body);
        assert_eq!(over_actix.status, over_tower.status, "{method} {shown}: {}", over_actix.body);
        for header in ["content-type", "cache-control", "allow", "www-authenticate"] {
            assert_eq!(over_actix.header(header), over_tower.header(header), "{method} {shown}: {header}");
        }
        if over_tower.status >= 400 {
            assert!(over_actix.json()["error"].is_string(), "{method} {shown}: a JSON error, {}", over_actix.body);
            // An error's body has no timings: the same to the byte.
            assert_eq!(over_actix.header("content-length"), over_tower.header("content-length"), "{method} {shown}");
        }
        if method == "HEAD" {
            assert!(over_actix.body.is_empty(), "HEAD {shown} has no body");
            assert!(
                over_actix.header("content-length").is_some_and(|length| length != "0"),
                "HEAD {shown} keeps the length"
            );
        }
        // Timings differ between two runs; everything else is the same.
        assert_eq!(without_timings(&over_actix.body), without_timings(&over_tower.body), "{method} {shown}");
    }
}

/// `body` with every number after `duration_ms` or `timestamp` blanked.
fn without_timings(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            blank(&mut value);
            value.to_string()
        }
        Err(_) => body.to_owned(),
    }
}

fn blank(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "duration_ms" || key == "timestamp" {
                    *value = serde_json::Value::Null;
                } else {
                    blank(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(blank),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_reads_get_the_answer_one_gets() {
    let health = service();
    let address = on(Server::Actix, client::serve(&health)).await;
    let bearer = [("Authorization", "Bearer s3cret")];
    let alone = request(address, "GET", "/health/ready", &bearer).await;
    assert_eq!(alone.status, 200);
    let reads = (0..64).map(|_| tokio::spawn(async move { request(address, "GET", "/health/ready", &bearer).await }));
    for read in futures_join(reads).await {
        assert_eq!(read.status, alone.status);
        assert_eq!(without_timings(&read.body), without_timings(&alone.body));
    }
}

async fn futures_join<T: Send + 'static>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await.expect("a read"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_readiness_keeps_serving_for_the_drain_then_stops() {
    let monitor = Monitor::new(Health::default(), ());
    let shutdown = monitor.shutdown_handle();
    let health = HealthService::builder(monitor).build().expect("a valid configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let drain = std::time::Duration::from_millis(600);
    let (stopped, ended) = tokio::sync::oneshot::channel();
    let handle = shutdown.clone();
    std::thread::spawn(move || {
        let result = actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || actix_web::App::new().service(health.actix()))
                .workers(2)
                .shutdown_timeout(5)
                .listen(listener)
                .unwrap();
            health_core::http::serve_actix(server, handle, drain).await
        });
        let _ = stopped.send((result, std::time::Instant::now()));
    });
    assert_eq!(request(address, "GET", "/health/ready", &[]).await.status, 200);

    shutdown.begin_shutdown();
    let began = std::time::Instant::now();
    // At once, and for the whole drain: readiness DOWN, liveness UP, still served.
    let ready = request(address, "GET", "/health/ready", &[]).await;
    assert_eq!((ready.status, ready.json()["status"].as_str()), (503, Some("DOWN")));
    assert_eq!(request(address, "GET", "/health/live", &[]).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(request(address, "GET", "/health/ready", &[]).await.status, 503, "still served while draining");

    let (result, at) = tokio::time::timeout(std::time::Duration::from_secs(10), ended)
        .await
        .expect("the server stops after the drain")
        .expect("the server's thread reports");
    result.expect("a graceful stop");
    assert!(at.duration_since(began) >= drain, "not before the drain is over");
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "no longer listening");
}
