//! The example service as a user runs it: a real process, real sockets, real
//! signals. `cargo run --example service` must keep these promises.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use client::get;
use serde_json::Value;
use tokio::process::Child;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

#[path = "support/example.rs"]
mod example;

use example::{free_port, output};

fn example_binary() -> std::path::PathBuf {
    example::example_binary("service")
}

struct Service {
    child: Child,
    address: SocketAddr,
    /// Where it serves gRPC health.
    grpc: SocketAddr,
    _data: example::DataDir,
}

async fn start(environment: &[(&str, String)]) -> Service {
    start_with(&[], environment).await
}

/// Starts the example with `arguments`, such as `--registry`.
async fn start_with(arguments: &[&str], environment: &[(&str, String)]) -> Service {
    let grpc_port = free_port();
    let mut environment = environment.to_vec();
    environment.push(("GRPC_PORT", grpc_port.to_string()));
    let running = example::start("service", arguments, &environment).await;
    // Every response from now on is checked against the document it serves.
    client::register(running.address, get(running.address, "/openapi.json").await.json());
    Service {
        child: running.child,
        address: running.address,
        grpc: SocketAddr::from(([127, 0, 0, 1], grpc_port)),
        _data: running.data,
    }
}

fn closed_port_url() -> String {
    format!("postgres://app:hunter2@127.0.0.1:{}/app", free_port())
}

#[tokio::test]
async fn an_unreachable_critical_database_fails_readiness_only_and_leaks_no_password() {
    unreachable_database(&[]).await;
}

#[tokio::test]
async fn the_same_checks_in_a_registry_answer_the_same() {
    unreachable_database(&["--registry"]).await;
}

async fn unreachable_database(arguments: &[&str]) {
    let mut service = start_with(arguments, &[("DATABASE_URL", closed_port_url())]).await;
    let all = get(service.address, "/health").await;
    let ready = get(service.address, "/health/ready").await;
    let live = get(service.address, "/health/live").await;
    assert_eq!(all.status, 503, "{}", all.body);
    assert_eq!(ready.status, 503);
    assert_eq!(live.status, 200);
    assert_eq!(all.json()["components"]["database"]["status"], "DOWN");
    assert!(all.json()["components"].get("cache").is_none(), "no REDIS_URL, no cache component");
    let verbose = get(service.address, "/health?verbose").await.body;
    for body in [&all.body, &ready.body, &live.body, &verbose] {
        assert!(!body.contains("hunter2"), "{body}");
    }
    // sqlx retries a refused connection until the pool's acquire timeout,
    // which the example sets below the check's timeout so that the pool says why.
    let message = all.json()["components"]["database"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("pool timed out"), "{message}");
    // The same statuses as Prometheus metrics, recorded by the monitor.
    let metrics = get(service.address, "/metrics").await;
    assert_eq!(metrics.status, 200);
    for series in [
        r#"health_check_status{component="database",status="DOWN"} 1"#,
        r#"health_check_status{component="database",status="UP"} 0"#,
        r#"health_status{group="readiness",status="DOWN"} 1"#,
        r#"health_status{group="liveness",status="UP"} 1"#,
    ] {
        assert!(metrics.body.lines().any(|line| line == series), "{series} in\n{}", metrics.body);
    }
    assert!(!metrics.body.contains("hunter2"));
    assert!(!metrics.body.contains(r#"component="cache""#), "no REDIS_URL, no cache series");
    // The status page, and its history with the database's transition and message.
    let page = get(service.address, "/health/ui").await;
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    let history = get(service.address, "/health/ui/history").await;
    assert!(!history.body.contains("hunter2"), "{}", history.body);
    let history = history.json();
    let database = history["components"].as_array().unwrap().iter().find(|c| c["name"] == "database").unwrap();
    assert_eq!((database["status"].as_str(), database["transitions"][0]["to"].as_str()), (Some("DOWN"), Some("DOWN")));
    assert!(database["message"].as_str().is_some_and(|message| message.contains("pool timed out")), "{database}");
    unsafe { libc::kill(service.child.id().unwrap() as i32, libc::SIGTERM) };
    let exited = tokio::time::timeout(Duration::from_secs(15), service.child.wait()).await;
    assert!(exited.is_ok(), "the example stops on SIGTERM");
    let logs = output(service.child).await;
    assert!(logs.contains("postgres://app:***@127.0.0.1"), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
}

#[tokio::test]
async fn sigterm_drains_readiness_at_once_finishes_requests_and_exits_after_the_delay() {
    let drain = Duration::from_millis(2500);
    let mut service = start(&[("DRAIN_MS", drain.as_millis().to_string())]).await;
    let address = service.address;
    assert_eq!(get(address, "/health/ready").await.status, 200);

    let in_flight = tokio::spawn(async move { get(address, "/slow").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let signalled = Instant::now();
    unsafe { libc::kill(service.child.id().unwrap() as i32, libc::SIGTERM) };

    // The goal is 100 ms; the bound leaves room for a busy machine, and the
    // time measured is printed (typically a few milliseconds).
    let mut ready = get(address, "/health/ready").await;
    while ready.status == 200 && signalled.elapsed() < Duration::from_millis(600) {
        ready = get(address, "/health/ready").await;
    }
    let took = signalled.elapsed();
    println!("readiness was DOWN {took:?} after SIGTERM");
    assert_eq!(ready.status, 503, "readiness is DOWN soon after SIGTERM");
    assert!(took < Duration::from_millis(600), "{took:?}");
    assert_eq!(ready.json()["message"], "shutting down");
    assert_eq!(get(address, "/health/live").await.status, 200, "liveness stays UP while draining");

    let slow = in_flight.await.unwrap();
    assert_eq!((slow.status, slow.body.as_str()), (200, "slow\n"), "the in-flight request finishes");

    let status = tokio::time::timeout(Duration::from_secs(15), service.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(signalled.elapsed() >= drain, "exited before the drain delay: {:?}", signalled.elapsed());
}

#[tokio::test]
async fn real_dependencies_are_checked_by_the_built_in_probes_when_configured() {
    let names = ["DATABASE_URL", "MYSQL_URL", "REDIS_URL", "RABBITMQ_URL", "NATS_URL"];
    let urls: Vec<(&str, String)> = names.iter().filter_map(|name| Some((*name, std::env::var(name).ok()?))).collect();
    if urls.len() < names.len() {
        let notice = format!("SKIPPED: set {} to check the example against real services\n", names.join(", "));
        let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
        return;
    }
    let service = start(&urls).await;
    let services = ["database", "migrations", "reporting", "cache", "broker", "queue", "messaging"];
    let all_up = |body: &Value| services.iter().all(|component| body["components"][component]["status"] == "UP");
    // The broker connects in the background: give it a few reports.
    let mut body = get(service.address, "/health").await.json();
    for _ in 0..50 {
        if all_up(&body) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        body = get(service.address, "/health").await.json();
    }
    for component in services {
        assert_eq!(body["components"][component]["status"], "UP", "{component}: {body}");
    }
    assert!(body["components"]["database"]["details"]["server_version"].is_string(), "{body}");
    assert!(body["components"]["cache"]["details"]["version"].is_string(), "{body}");
    assert_eq!(body["components"]["broker"]["details"]["state"], "connected");
    // Applied at start-up, in the example's own migrations table.
    assert_eq!(body["components"]["migrations"]["details"]["latest_applied"], 1, "{body}");
    assert_eq!(body["components"]["queue"]["details"]["queue"], "health-example-jobs", "{body}");
    // The example's own checks, with no variable.
    for component in ["runtime", "jobs", "memory"] {
        assert_eq!(body["components"][component]["status"], "UP", "{component}: {body}");
    }
    // Storage measures this machine's real disk, which may be nearly full:
    // its status must follow its own figures and the example's thresholds,
    // and, being critical, it decides the whole.
    let storage = &body["components"]["storage"];
    let free = storage["details"]["free_percent"].as_f64().unwrap_or_else(|| panic!("no free_percent: {body}"));
    let expected = match free {
        free if free < 5.0 => "DOWN",
        free if free < 10.0 => "DEGRADED",
        _ => "UP",
    };
    assert_eq!(storage["status"], expected, "{body}");
    assert_eq!(body["status"], expected, "{body}");
}

/// The example's OpenAPI document and probe manifests, pinned: a change to
/// either shows up in review as a snapshot diff (`tests/snapshots/`).
#[test]
fn the_examples_document_and_probes_are_pinned() {
    let print = |flags: &[&str]| {
        let output = std::process::Command::new(example_binary())
            .args(flags)
            .env_clear()
            .env("PORT", "8080")
            .env("GRPC_PORT", "50051")
            .env("DATABASE_URL", "postgres://app@db.internal:5432/orders")
            .env("REDIS_URL", "redis://cache.internal:6379")
            .env("UPSTREAM_URL", "http://payments.internal/health")
            .output()
            .expect("the example runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let document = print(&["--openapi-yaml"]);
    assert_eq!(print(&["--registry", "--openapi-yaml"]), document, "a registry of the same checks, the same document");
    insta::assert_snapshot!("example_openapi_yaml", document);
    insta::assert_snapshot!("example_probes_yaml", print(&["--probes"]));
    insta::assert_snapshot!("example_grpc_probes_yaml", print(&["--grpc-probes"]));
    // The guide shows the manifests the library makes, not hand-written ones.
    for (page, flag) in [("docs/operations.md", "--probes"), ("docs/grpc.md", "--grpc-probes")] {
        let shown = yaml_blocks(page);
        assert!(shown.contains(&print(&[flag])), "{page} shows what `{flag}` prints");
    }
}

/// The YAML blocks of a page of the guide.
fn yaml_blocks(page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
    text.split("```yaml\n").skip(1).filter_map(|block| block.split("```").next()).map(str::to_owned).collect()
}

/// tonic-health's client: one nobody here wrote.
async fn grpc_client(address: SocketAddr) -> HealthClient<tonic::transport::Channel> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tonic::transport::Channel::from_shared(format!("http://{address}")).unwrap().connect().await {
            Ok(channel) => return HealthClient::new(channel),
            Err(error) => assert!(Instant::now() < deadline, "no gRPC server at {address}: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn grpc_health_answers_from_the_same_monitor_and_drains_on_sigterm() {
    let mut service = start(&[("DATABASE_URL", closed_port_url()), ("DRAIN_MS", "1500".into())]).await;
    let mut client = grpc_client(service.grpc).await;
    let check = |service: &str| HealthCheckRequest { service: service.into() };
    let serving = |response: HealthCheckResponse| ServingStatus::try_from(response.status).unwrap();
    // The critical database is unreachable: DOWN over HTTP, NOT_SERVING over gRPC.
    for (name, expected) in [
        ("", ServingStatus::NotServing),
        ("readiness", ServingStatus::NotServing),
        ("example.v1.Example", ServingStatus::NotServing),
        ("database", ServingStatus::NotServing),
        ("liveness", ServingStatus::Serving),
        ("storage", ServingStatus::Serving),
    ] {
        let response = client.check(check(name)).await.unwrap().into_inner();
        assert_eq!(serving(response), expected, "{name:?}");
    }
    assert_eq!(client.check(check("cache")).await.unwrap_err().code(), tonic::Code::NotFound, "no REDIS_URL, no cache");
    let mut unknown = client.watch(check("orders.v1.Orders")).await.unwrap().into_inner();
    assert_eq!(serving(unknown.message().await.unwrap().unwrap()), ServingStatus::ServiceUnknown);
    service.child.kill().await.unwrap();

    // Without the database, everything serves; SIGTERM turns readiness
    // NOT_SERVING for its watchers while the process still runs.
    let mut service = start(&[("DRAIN_MS", "1500".into())]).await;
    let mut client = grpc_client(service.grpc).await;
    let mut readiness = client.watch(check("readiness")).await.unwrap().into_inner();
    let mut liveness = client.watch(check("liveness")).await.unwrap().into_inner();
    assert_eq!(serving(readiness.message().await.unwrap().unwrap()), ServingStatus::Serving);
    assert_eq!(serving(liveness.message().await.unwrap().unwrap()), ServingStatus::Serving);

    unsafe { libc::kill(service.child.id().unwrap() as i32, libc::SIGTERM) };
    let drained = tokio::time::timeout(Duration::from_secs(5), readiness.message()).await.expect("a change");
    assert_eq!(serving(drained.unwrap().unwrap()), ServingStatus::NotServing);
    assert!(service.child.try_wait().unwrap().is_none(), "seen before the process exits");
    // Liveness keeps serving while the process drains; then the watches end
    // and the process exits.
    let ended = tokio::time::timeout(Duration::from_secs(15), liveness.message()).await.expect("the watch ends");
    assert!(matches!(ended, Ok(None)), "{ended:?}");
    let status = tokio::time::timeout(Duration::from_secs(15), service.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_clients_on_readiness_all_get_200_and_nothing_flaps() {
    // As a new user runs it: no dependency configured, checks on request.
    let mut service = start(&[]).await;
    let address = service.address;
    let began = Instant::now();
    let clients: Vec<_> = (0..32)
        .map(|_| {
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while began.elapsed() < Duration::from_secs(3) {
                    statuses.push(get(address, "/health/ready").await.status);
                }
                statuses
            })
        })
        .collect();
    let mut answers = 0;
    for client in clients {
        for status in client.await.unwrap() {
            assert_eq!(status, 200, "every concurrent read of a healthy service is 200");
            answers += 1;
        }
    }
    assert!(answers > 32, "{answers} answers");
    service.child.kill().await.unwrap();
    let log = output(service.child).await;
    // Each component's status was set once, and never changed.
    for component in ["runtime", "storage"] {
        let changes = log.lines().filter(|line| line.contains(&format!("component=\"{component}\""))).count();
        assert_eq!(changes, 1, "{component} changed status {changes} times under concurrent reads:\n{log}");
    }
    println!("{answers} answers to 32 concurrent clients in 3 s, all 200");
}

/// Runs `service healthcheck ARGS` as a client, with `PORT` and `GRPC_PORT`
/// as the environment says: its exit code, its stderr and how long it took.
async fn healthcheck(args: &[&str], environment: &[(&str, String)]) -> (i32, String, Duration) {
    let started = Instant::now();
    let output = tokio::process::Command::new(example_binary())
        .arg("healthcheck")
        .args(args)
        .envs(environment.iter().map(|(name, value)| (*name, value.as_str())))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr, started.elapsed())
}

#[tokio::test]
async fn the_healthcheck_subcommand_probes_as_docker_and_kubernetes_exec_need() {
    let mut healthy = start(&[]).await;
    let port = healthy.address.port().to_string();
    let grpc = healthy.grpc.to_string();
    // Its own readiness on PORT, by default.
    let (code, stderr, _) = healthcheck(&[], &[("PORT", port.clone())]).await;
    assert_eq!(code, 0, "{stderr}");
    let url = format!("http://{}/health/live", healthy.address);
    assert_eq!(healthcheck(&[&url, "--timeout", "2s"], &[]).await.0, 0);
    // gRPC: readiness SERVING, an unknown name NOT_FOUND.
    let (code, stderr, _) = healthcheck(&["--grpc", &grpc, "--service", "readiness"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr, _) =
        healthcheck(&["--grpc", "--service", "orders.v1.Orders"], &[("GRPC_PORT", grpc_port(&grpc))]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");

    // Readiness DOWN (its critical database is unreachable): 1, saying so.
    let mut down = start(&[("DATABASE_URL", closed_port_url())]).await;
    let (code, stderr, _) = healthcheck(&[&format!("http://{}/health/ready", down.address)], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.starts_with("unhealthy: GET ") && stderr.contains("503"), "{stderr}");
    let (code, stderr, _) = healthcheck(&["--grpc", &down.grpc.to_string()], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("NOT_SERVING"), "{stderr}");
    down.child.kill().await.unwrap();
    healthy.child.kill().await.unwrap();

    // No server: refused at once, 1.
    let dead = format!("http://127.0.0.1:{}/health/ready", free_port());
    let (code, stderr, _) = healthcheck(&[&dead], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot connect"), "{stderr}");
    // A port that accepts and never answers: 1 within the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health/ready", silent.local_addr().unwrap());
    let (code, stderr, took) = healthcheck(&[&url, "--timeout", "300ms"], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("no answer within 300 ms"), "{stderr}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Bad arguments: 1, with the usage.
    let (code, stderr, _) = healthcheck(&["--timeout", "soon"], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("usage: healthcheck"), "{stderr}");
}

/// The port of `host:port`.
fn grpc_port(address: &str) -> String {
    address.rsplit(':').next().unwrap().to_owned()
}
