//! The health endpoints over a real socket: routes, methods, status codes,
//! formats, query parameters, visibility, background mode and shutdown.
//!
//! Every test runs eight times, from one suite: against a `#[derive(HealthReport)]`
//! struct and against a `Registry` of the same checks, built at run time,
//! each served by axum (the tower `Service`), by actix-web, and by poem and
//! salvo through their tower bridges.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client::{get, request};
use health_core::http::{ConfigError, HealthLayer, HealthService, HealthServiceBuilder, Visibility};
use health_core::monitor::Monitor;
use health_core::monitor::{MonitorBuilder, StatusChange, StatusMap, Subject};
use health_core::{CheckOptions, HealthReport, Outcome, Registry, ReportSource, Status, check_fn, group, health_check};
use http::StatusCode;
use serde_json::json;

/// What the checks report, changeable while the server runs.
#[derive(Default)]
struct App {
    /// 0: up, 1: down.
    database: AtomicU8,
    /// How long the database check takes, in milliseconds.
    database_ms: AtomicU64,
    /// 0: up, 1: degraded.
    cache: AtomicU8,
    runs: AtomicUsize,
    slow_runs: AtomicUsize,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct Pool {
    idle: u32,
}

/// The process itself answers.
#[health_check(groups(liveness, readiness, startup))]
async fn process() {}

#[health_check(timeout = "2s", critical)]
async fn database(app: &App) -> Result<Pool, String> {
    app.runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(app.database_ms.load(Ordering::SeqCst))).await;
    match app.database.load(Ordering::SeqCst) {
        0 => Ok(Pool { idle: 4 }),
        _ => Err("connection refused by postgres://app:hunter2@db/app".into()),
    }
}

#[health_check(timeout = "200ms", groups(readiness, "caches"))]
async fn cache(app: &App) -> Outcome<u32> {
    cache_outcome(app.cache.load(Ordering::SeqCst))
}

fn cache_outcome(state: u8) -> Outcome<u32> {
    match state {
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

/// Slow enough that concurrent requests overlap its run.
#[health_check(timeout = "2s", cache = "1m")]
async fn slow_cached(app: &App) -> Result<usize, String> {
    let run = app.slow_runs.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(run)
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Slow {
    slow: SlowCachedCheck,
}

/// Where the suite's reports come from.
trait Source: 'static {
    type Report: ReportSource<State = App>;
    type Slow: ReportSource<State = App>;

    /// `process`, `database` and `cache`.
    fn report() -> Self::Report;

    /// One slow cached check.
    fn slow() -> Self::Slow;
}

/// Declared with `#[derive(HealthReport)]`.
struct Derived;

impl Source for Derived {
    type Report = Health;
    type Slow = Slow;

    fn report() -> Health {
        Health::default()
    }

    fn slow() -> Slow {
        Slow::default()
    }
}

/// Registered at run time: generated checks and a closure with options.
struct Registered;

impl Source for Registered {
    type Report = Registry<App>;
    type Slow = Registry<App>;

    fn report() -> Registry<App> {
        let mut registry = Registry::new();
        let cache = check_fn(|app: &App| {
            let state = app.cache.load(Ordering::SeqCst);
            async move { cache_outcome(state) }
        });
        let options = CheckOptions::new().timeout(Duration::from_millis(200)).groups([group::READINESS, "caches"]);
        registry
            .register("process", ProcessCheck::default())
            .and_then(|registry| registry.register("database", DatabaseCheck::default()))
            .and_then(|registry| registry.register_with("cache", cache, options))
            .expect("valid registrations");
        registry
    }

    fn slow() -> Registry<App> {
        let mut registry = Registry::new();
        registry.register("slow", SlowCachedCheck::default()).expect("a valid registration");
        registry
    }
}

/// The monitor of `S`'s report over `app`.
fn monitor<S: Source>(app: &Arc<App>) -> MonitorBuilder<S::Report> {
    Monitor::builder(S::report(), Arc::clone(app))
}

/// Endpoints showing everything.
fn endpoints<R: ReportSource>(monitor: MonitorBuilder<R>) -> HealthServiceBuilder<R> {
    HealthService::builder(monitor.build().expect("a valid monitor")).visibility(Visibility::Always)
}

/// Starts the endpoints; every response the tests get from them is checked
/// against their OpenAPI document.
async fn start<R: ReportSource>(endpoints: HealthServiceBuilder<R>) -> (SocketAddr, HealthService<R>) {
    let service = endpoints.build().expect("a valid configuration");
    (client::serve(&service).await, service)
}

/// Modules running the named tests with both sources, one per server.
macro_rules! servers {
    ($($module:ident: $server:ident),*; $names:tt) => {
        $( server_tests!($module, $server, $names); )*
    };
}

/// A module running the named tests with both sources, served by `$server`.
macro_rules! server_tests {
    ($module:ident, $server:ident, { $($name:ident)* }) => {
        mod $module {
            use super::client::{Server, on};

            mod derived {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::on(super::Server::$server, super::super::$name::<super::super::Derived>()).await
                    }
                )*
            }

            mod registry {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::on(super::Server::$server, super::super::$name::<super::super::Registered>()).await
                    }
                )*
            }
        }
    };
}

/// Runs each test against both sources, served by axum (the modules
/// `derived` and `registry`) and by every other server.
macro_rules! suite {
    ($(async fn $name:ident<S: Source>() $body:block)*) => {
        $(async fn $name<S: Source>() $body)*

        mod derived {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name::<super::Derived>().await
                }
            )*
        }

        mod registry {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name::<super::Registered>().await
                }
            )*
        }

        // The same tests, served by actix-web, and by poem and salvo through
        // their tower bridges.
        servers!(actix: Actix, poem: Poem, salvo: Salvo; { $($name)* });
    };
}

suite! {
    async fn every_route_answers_get_and_head_with_json<S: Source>() {
        let (address, _) = start(endpoints(monitor::<S>(&Arc::default()))).await;
        for path in ["/health", "/health/live", "/health/ready", "/health/startup", "/health/group/caches", "/health/database"] {
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
            if client::head_announces_length() {
                assert!(
                    announced.abs_diff(answer.body.len()) <= 8,
                    "HEAD {path} announces {announced}, GET sent {}",
                    answer.body.len()
                );
            } else {
                assert_eq!(announced, 0, "HEAD {path}: the bridge's documented limit changed");
            }
        }
    }

    async fn routes_select_their_components<S: Source>() {
        let (address, service) = start(endpoints(monitor::<S>(&Arc::default()))).await;
        let document = service.openapi();
        let custom = &document["paths"]["/health/group/{group}"]["parameters"][0]["schema"]["enum"];
        assert_eq!(custom, &json!(["caches"]), "custom groups are in the document");
        // Sorted: JSON objects have no order to compare.
        let names = |body: serde_json::Value| body["components"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(get(address, "/health").await.json()), ["cache", "database", "process"]);
        assert_eq!(names(get(address, "/health/live").await.json()), ["process"], "liveness: only the process");
        assert_eq!(names(get(address, "/health/ready").await.json()), ["cache", "database", "process"]);
        assert_eq!(names(get(address, "/health/group/caches").await.json()), ["cache"], "a custom group");
        assert_eq!(names(get(address, "/health/cache").await.json()), ["cache"]);
        assert_eq!(names(get(address, "/health?exclude=cache&exclude=process").await.json()), ["database"]);
        let body = get(address, "/health/database").await.json();
        assert_eq!(body["components"]["database"]["details"], json!({"idle": 4}));
    }

    async fn a_database_outage_fails_readiness_but_not_liveness<S: Source>() {
        let app = Arc::new(App::default());
        app.database.store(1, Ordering::SeqCst);
        let (address, _) = start(endpoints(monitor::<S>(&app))).await;
        assert_eq!(get(address, "/health").await.status, 503);
        assert_eq!(get(address, "/health/ready").await.status, 503);
        assert_eq!(get(address, "/health/database").await.status, 503);
        assert_eq!(get(address, "/health/live").await.status, 200, "an outage must not restart the pod");
        assert_eq!(get(address, "/health/group/caches").await.status, 200, "the cache group does not hold the database");
        let body = get(address, "/health/database").await.body;
        assert!(body.contains("postgres://app:***@db/app") && !body.contains("hunter2"), "{body}");
    }

    async fn status_codes_are_configurable_per_subject<S: Source>() {
        let app = Arc::new(App::default());
        app.cache.store(1, Ordering::SeqCst);
        let consul = StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS);
        let teapot = StatusMap::default().degraded(StatusCode::IM_A_TEAPOT);
        let partial = StatusMap::default().degraded(StatusCode::NON_AUTHORITATIVE_INFORMATION);
        let configured = endpoints(monitor::<S>(&app))
            .status_codes_for(Subject::group("readiness"), consul)
            .status_codes_for(Subject::group("caches"), teapot)
            .status_codes_for(Subject::component("cache"), partial);
        let (address, _) = start(configured).await;
        assert_eq!(get(address, "/health/ready").await.status, 429);
        assert_eq!(get(address, "/health/group/caches").await.status, 418);
        assert_eq!(get(address, "/health/cache").await.status, 203);
        assert_eq!(get(address, "/health").await.status, 200, "other subjects keep the default");
        assert_eq!(get(address, "/health").await.json()["status"], "DEGRADED");
        let everywhere = endpoints(monitor::<S>(&app)).status_codes(teapot);
        let (address, _) = start(everywhere).await;
        for path in ["/health", "/health/ready", "/health/cache", "/health/group/caches"] {
            assert_eq!(get(address, path).await.status, 418, "{path}");
        }
    }

    async fn unknown_paths_and_wrong_methods_get_json_errors<S: Source>() {
        let (address, _) = start(endpoints(monitor::<S>(&Arc::default()))).await;
        assert_eq!(get(address, "/health/").await.json()["status"], "UP", "a trailing slash is the same endpoint");
        let nested = get(address, "/health/database/extra").await;
        assert_eq!((nested.status, nested.json()["error"].as_str()), (404, Some("unknown_component")));
        let missing = get(address, "/health/nope").await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.json()["error"], "unknown_component");
        for group in ["nope", "readiness"] {
            let missing = get(address, &format!("/health/group/{group}")).await;
            assert_eq!((missing.status, missing.json()["error"].as_str()), (404, Some("unknown_group")), "{group}");
        }
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let answer = request(address, method, "/health", &[]).await;
            assert_eq!(answer.status, 405, "{method}");
            assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{method}");
            assert_eq!(answer.json()["error"], "method_not_allowed");
        }
    }

    async fn bad_queries_are_client_errors_with_json_bodies<S: Source>() {
        let (address, _) = start(endpoints(monitor::<S>(&Arc::default()))).await;
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

    async fn formats_are_negotiated<S: Source>() {
        let app = Arc::new(App::default());
        app.database.store(1, Ordering::SeqCst);
        let (address, _) = start(endpoints(monitor::<S>(&app))).await;

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

    async fn visibility_never_shows_statuses_only<S: Source>() {
        let app = Arc::new(App::default());
        app.database.store(1, Ordering::SeqCst);
        let (address, _) = start(HealthService::builder(monitor::<S>(&app).build().unwrap())).await;
        let body = get(address, "/health").await.json();
        assert_eq!(body["components"]["database"], json!({"status": "DOWN"}));
        assert!(body.get("timestamp").is_none());
        let text = get(address, "/health?verbose").await.body;
        assert!(text.contains("[-]database failed: reason withheld") && !text.contains("refused"), "{text}");
    }

    async fn visibility_when_authorized_needs_the_bearer_token<S: Source>() {
        let app = Arc::new(App::default());
        app.database.store(1, Ordering::SeqCst);
        let visibility = Visibility::when_authorized("let-me-see");
        let (address, _) = start(HealthService::builder(monitor::<S>(&app).build().unwrap()).visibility(visibility)).await;

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

    async fn shutdown_drains_readiness_the_whole_and_the_groups_at_once_for_http_and_subscribers<S: Source>() {
        let (address, service) = start(endpoints(monitor::<S>(&Arc::default()))).await;
        assert_eq!(get(address, "/health/ready").await.status, 200);
        let monitor = service.monitor();
        let readiness = Subject::group(group::READINESS);
        let mut watched = monitor.watch(&readiness).unwrap();
        let mut changes = monitor.subscribe();
        assert_eq!(watched.get_and_update(), Some(Status::Up));

        service.monitor().shutdown_handle().begin_shutdown();
        // Before any await: the change is there already.
        assert_eq!(monitor.status(&readiness), Ok(Some(Status::Down)));
        assert!(watched.has_changed());
        assert_eq!(watched.get_and_update(), Some(Status::Down));
        // Every subject that drains is told, in the catalog's order: the
        // groups but liveness, then the whole.
        let mut told = Vec::new();
        while let Ok(Some(change)) = tokio::time::timeout(Duration::ZERO, changes.next()).await {
            assert_eq!((change.from, change.to), (Some(Status::Up), Status::Down), "{}", change.subject);
            told.push(change.subject);
        }
        let mut expected: Vec<Subject> = monitor
            .groups()
            .filter(|group| *group != group::LIVENESS)
            .map(Subject::group)
            .collect();
        expected.push(Subject::Overall);
        assert_eq!(told, expected, "delivered at once, in order");

        for path in ["/health/ready", "/health", "/health/startup"] {
            let answer = get(address, path).await;
            assert_eq!(answer.status, 503, "{path}");
            assert_eq!(answer.json()["status"], "DOWN");
            assert_eq!(answer.json()["message"], "shutting down");
        }
        // Liveness and the components keep being measured.
        assert_eq!(get(address, "/health/live").await.status, 200);
        for component in monitor.components() {
            let path = format!("/health/{}", component.name());
            let answer = get(address, &path).await;
            assert_eq!((answer.status, &answer.json()["status"]), (200, &serde_json::json!("UP")), "{path} is measured");
        }
        // Later reports do not bring readiness back.
        assert_eq!(monitor.status(&readiness), Ok(Some(Status::Down)));
        assert_eq!(monitor.status(&Subject::Overall), Ok(Some(Status::Down)));
    }

    async fn background_mode_serves_snapshots_without_running_checks<S: Source>() {
        let app = Arc::new(App::default());
        let (address, _) = start(endpoints(monitor::<S>(&app).refresh_every(Duration::from_secs(3600)))).await;
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
        let caches = get(address, "/health/group/caches").await.json();
        assert_eq!(caches["components"].as_object().unwrap().keys().collect::<Vec<_>>(), ["cache"]);
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
        let announced = head.header("content-length").map(str::to_owned);
        if client::head_announces_length() {
            assert_eq!(announced, Some(full.body.len().to_string()), "HEAD announces the length GET sends");
        } else {
            assert!(matches!(announced.as_deref(), None | Some("0")), "the bridge's documented limit changed");
        }
        assert_eq!(app.runs.load(Ordering::SeqCst), runs, "requests answered from snapshots run no checks");
    }

    async fn status_changes_reach_the_hooks_once_each_in_order<S: Source>() {
        let app = Arc::new(App::default());
        let changes: Arc<Mutex<Vec<StatusChange>>> = Arc::default();
        let recorded = Arc::clone(&changes);
        let monitor = monitor::<S>(&app).on_status_change(move |change| recorded.lock().unwrap().push(change.clone()));
        let (address, _) = start(endpoints(monitor)).await;
        get(address, "/health").await;
        get(address, "/health").await;
        let first: Vec<_> = changes.lock().unwrap().drain(..).collect();
        assert_eq!(first.len(), 8, "3 components, 4 groups and the whole, seen for the first time: {first:?}");
        assert!(first.iter().all(|change| change.from.is_none() && change.to == Status::Up));
        app.database.store(1, Ordering::SeqCst);
        get(address, "/health").await;
        get(address, "/health").await;
        let changed: Vec<_> = changes.lock().unwrap().iter().map(|c| (c.subject.clone(), c.from, c.to)).collect();
        let down = |subject| (subject, Some(Status::Up), Status::Down);
        assert_eq!(
            changed,
            [
                down(Subject::component("database")),
                down(Subject::group("readiness")),
                down(Subject::group("startup")),
                down(Subject::Overall),
            ],
            "the cause first, then what it brings down; liveness and the caches stay UP"
        );
    }

    async fn readiness_is_tracked_from_readiness_probes_alone<S: Source>() {
        let app = Arc::new(App::default());
        let (address, service) = start(endpoints(monitor::<S>(&app))).await;
        let monitor = service.monitor();
        let readiness = Subject::group(group::READINESS);
        get(address, "/health/live").await;
        assert_eq!(monitor.status(&readiness), Ok(None), "liveness runs too little to tell readiness");
        assert_eq!(monitor.status(&Subject::group(group::LIVENESS)), Ok(Some(Status::Up)));
        get(address, "/health/ready").await;
        assert_eq!(monitor.status(&readiness), Ok(Some(Status::Up)));
        app.database.store(1, Ordering::SeqCst);
        assert_eq!(get(address, "/health/ready").await.status, 503);
        assert_eq!(monitor.status(&readiness), Ok(Some(Status::Down)));
        assert_eq!(monitor.status(&Subject::component("database")), Ok(Some(Status::Down)));
        // The latest readiness report is kept, with its age.
        let latest = monitor.latest(&readiness).unwrap().expect("a readiness report");
        assert_eq!(latest.report().status, Status::Down);
        assert!(latest.age() < Duration::from_secs(10));
    }

    async fn the_router_mounts_under_any_prefix<S: Source>() {
        let service = endpoints(monitor::<S>(&Arc::default())).base_path("/internal/health").build().unwrap();
        let app = axum::Router::new().nest("/api/v1", service.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        assert_eq!(get(address, "/api/v1/internal/health/ready").await.status, 200);
        assert_eq!(get(address, "/internal/health").await.status, 404);
    }

    async fn configurations_that_cannot_work_are_rejected<S: Source>() {
        let build = |endpoints: HealthServiceBuilder<S::Report>| endpoints.build().err();
        let fresh = || endpoints(monitor::<S>(&Arc::default()));
        assert_eq!(build(fresh().base_path("health")), Some(ConfigError::BadBasePath("health".into())));
        assert_eq!(build(fresh().base_path("/health/")), Some(ConfigError::BadBasePath("/health/".into())));
        let no_body = StatusMap::default().down(StatusCode::NO_CONTENT);
        let liveness = Subject::group("liveness");
        assert_eq!(
            build(fresh().status_codes_for(liveness.clone(), no_body)),
            Some(ConfigError::BadStatusCode { subject: Some(liveness), code: 204 })
        );
        let taken = StatusMap::default().down(StatusCode::NOT_FOUND);
        assert_eq!(build(fresh().status_codes(taken)), Some(ConfigError::BadStatusCode { subject: None, code: 404 }));
        let unknown = Subject::component("nope");
        assert_eq!(
            build(fresh().status_codes_for(unknown.clone(), StatusMap::default())),
            Some(ConfigError::UnknownSubject(unknown))
        );
        assert_eq!(build(fresh().visibility(Visibility::when_authorized(""))), Some(ConfigError::BadToken));
        assert_eq!(build(fresh().openapi_path("/health/doc")), Some(ConfigError::BadOpenApiPath("/health/doc".into())));
    }

    async fn the_layer_answers_health_paths_and_passes_the_rest_on<S: Source>() {
        let service = endpoints(monitor::<S>(&Arc::default())).build().unwrap();
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

    async fn disabled_components_are_never_run_or_shown<S: Source>() {
        let app = Arc::new(App::default());
        app.database.store(1, Ordering::SeqCst);
        let (address, _) = start(endpoints(monitor::<S>(&app).disable("database"))).await;
        let body = get(address, "/health").await.json();
        assert_eq!(body["status"], "UP");
        assert!(body["components"].get("database").is_none());
        assert_eq!(get(address, "/health/database").await.status, 404);
        assert_eq!(get(address, "/health?exclude=database").await.status, 404);
        assert_eq!(app.runs.load(Ordering::SeqCst), 0);
    }

    async fn concurrent_requests_share_one_run_of_a_cached_check<S: Source>() {
        let app = Arc::new(App::default());
        let service = HealthService::builder(Monitor::new(S::slow(), Arc::clone(&app))).build().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = service.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let requests: Vec<_> =
            (0..200).map(|_| tokio::spawn(async move { get(address, "/health").await.status })).collect();
        for request in requests {
            assert_eq!(request.await.unwrap(), 200);
        }
        assert_eq!(app.slow_runs.load(Ordering::SeqCst), 1);
    }

    async fn a_cached_result_shows_the_time_of_its_run_in_health_json<S: Source>() {
        let app = Arc::new(App::default());
        let service = HealthService::builder(Monitor::new(S::slow(), Arc::clone(&app))).visibility(Visibility::Always);
        let (address, _) = start(service).await;
        let draft = |body: serde_json::Value| body["checks"]["slow:responseTime"][0]["time"].as_str().unwrap().to_owned();
        let accept = [("Accept", "application/health+json")];
        let first = draft(request(address, "GET", "/health", &accept).await.json());
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let second = request(address, "GET", "/health", &accept).await.json();
        assert_eq!(draft(second), first, "the result was reused: its time is its run's");
        let report = get(address, "/health").await.json();
        assert_ne!(report["timestamp"].as_str(), Some(first.as_str()), "while the report is newer");
        assert_eq!(app.slow_runs.load(Ordering::SeqCst), 1);
    }

    async fn a_panicking_status_hook_changes_no_answer<S: Source>() {
        let monitor = monitor::<S>(&Arc::default()).on_status_change(|_| panic!("a broken hook"));
        let (address, _) = start(endpoints(monitor)).await;
        for _ in 0..3 {
            assert_eq!(get(address, "/health").await.status, 200);
        }
    }

    async fn liveness_is_answered_before_the_first_background_report<S: Source>() {
        let app = Arc::new(App::default());
        app.database_ms.store(500, Ordering::SeqCst);
        let (address, _) = start(endpoints(monitor::<S>(&app).refresh_every(Duration::from_secs(60)))).await;
        let started = std::time::Instant::now();
        let live = get(address, "/health/live").await;
        assert_eq!(live.status, 200, "{}", live.body);
        assert!(started.elapsed() < Duration::from_millis(450), "liveness did not wait for the 500 ms check");
    }

    async fn the_layer_answers_health_while_the_application_is_saturated<S: Source>() {
        use tower_layer::Layer;
        use tower_service::Service;
        let layer = HealthLayer::new(endpoints(monitor::<S>(&Arc::default())).build().unwrap());
        let mut service = layer.layer(Saturated);
        std::future::poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
        let request = http::Request::get("/health/live").body(String::new()).unwrap();
        let response = tokio::time::timeout(Duration::from_secs(5), service.call(request)).await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        let request = http::Request::get("/orders").body(String::new()).unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(100), service.call(request)).await;
        assert!(waiting.is_err(), "other requests wait for the application to be ready");
    }
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

#[test]
fn both_sources_describe_the_same_endpoints() {
    let derived = HealthService::builder(Monitor::new(Derived::report(), App::default())).build().unwrap();
    let registered = HealthService::builder(Monitor::new(Registered::report(), App::default())).build().unwrap();
    assert_eq!(derived.openapi(), registered.openapi(), "the same checks, the same document");
}
