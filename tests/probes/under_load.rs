//! Dependencies killed, restarted, hung (SIGSTOP) and resumed (SIGCONT)
//! while `/health/ready` is under load: a PostgreSQL cluster and a
//! `redis-server` of the test's own, behind the built-in probes, served by
//! `serve_with` on 127.0.0.1 with checks run in the background, with wrk
//! (where installed) and this test's own clients sending requests throughout.
//!
//! Each phase lasts `KILL_PHASE_SECONDS` (4 by default; `bench/kill.sh` runs
//! longer ones for BENCHMARKS.md). The timeline, status per second, errors and
//! p99, is printed and written to `target/kill-under-load.txt`. What holds:
//!
//! - killed or hung, every request started after the check's timeout plus one
//!   report (and half a second of slack for timers on a loaded machine)
//!   answers 503 with the component DOWN;
//! - no 5xx but 503, and no request takes longer than the timeout plus one
//!   second: a hang is cut by the timeout;
//! - restarted or resumed, every request started two reports after the
//!   dependency accepts again answers 200, without restarting the service.

#[path = "../support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use health_core::http::{HealthService, ServeOptions, serve_with};
use health_core::monitor::Monitor;
use health_core::probe::postgres::PoolCheck;
use health_core::probe::redis::ConnectionCheck;
use health_core::{CheckOptions, Registry, group};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sqlx::postgres::PgPoolOptions;

use crate::postgres::Cluster;
use crate::redis::redis_server;
use crate::support::{free_port, wait_for};

/// Each check's timeout: a report takes at most this long.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How often the monitor runs the checks in the background: under load,
/// requests read its latest report instead of each running the checks.
const REFRESH: Duration = Duration::from_millis(250);
/// The test's own clients, each sending one request after another.
const CLIENTS: usize = 4;

/// One answer to `GET /health/ready`.
#[derive(Debug, Clone)]
struct Sample {
    /// When the request was sent, since the start.
    sent: Duration,
    latency: Duration,
    /// 0 when no answer came within five seconds.
    status: u16,
    database: String,
    cache: String,
}

/// What happened to a dependency, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Steady,
    Killed,
    Restarted,
    Stopped,
    Resumed,
}

#[derive(Debug)]
struct Phase {
    component: &'static str,
    event: Event,
    /// When the event was done (and, for restarts, the dependency accepted again).
    at: Duration,
    until: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_killed_restarted_hung_and_resumed_under_load() {
    let Some(mut cluster) = Cluster::create() else { return };
    let redis_port = free_port();
    let Some(mut redis) = redis_server(redis_port, &[]) else { return };
    let phase_length = Duration::from_secs(
        std::env::var("KILL_PHASE_SECONDS").ok().and_then(|seconds| seconds.parse().ok()).unwrap_or(4),
    );
    let postgres_address: SocketAddr = format!("127.0.0.1:{}", cluster.port()).parse().unwrap();
    let redis_address: SocketAddr = format!("127.0.0.1:{redis_port}").parse().unwrap();
    wait_for(postgres_address).await;
    wait_for(redis_address).await;

    let pool = PgPoolOptions::new().max_connections(4).connect_lazy(&cluster.url()).unwrap();
    let config = ConnectionManagerConfig::new().set_number_of_retries(1).set_max_delay(Duration::from_millis(100));
    let redis_client = redis::Client::open(format!("redis://{redis_address}")).unwrap();
    let manager = ConnectionManager::new_lazy_with_config(redis_client, config).unwrap();
    let options = || CheckOptions::new().timeout(TIMEOUT).critical(true).groups([group::READINESS]);
    let mut registry = Registry::new();
    registry.register_with("database", PoolCheck::new(pool), options()).unwrap();
    registry.register_with("cache", ConnectionCheck::new(manager), options()).unwrap();
    let monitor = Monitor::builder(registry, ()).refresh_every(REFRESH).build().unwrap();
    let shutdown = monitor.shutdown_handle();
    let router = HealthService::builder(monitor).build().unwrap().router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_with(listener, router, shutdown, Duration::ZERO, ServeOptions::default()));
    wait_for(address).await;

    let started = Instant::now();
    // wrk is interrupted once the phases are over; this bounds it otherwise.
    let wrk = wrk(address, phase_length * 9 + Duration::from_secs(60));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(send_while(address, started, Arc::clone(&running), Arc::clone(&samples))))
        .collect();

    let mut phases = Vec::new();
    // A phase ends when its successor's action begins, and begins when its
    // own action is done: what happens in between belongs to neither.
    let mut phase = |component, event, began: Duration| {
        if let Some(last) = phases.last_mut() {
            let last: &mut Phase = last;
            last.until = began;
        }
        // The last phase ends when the clients stop.
        phases.push(Phase { component, event, at: started.elapsed(), until: Duration::MAX });
    };
    phase("both", Event::Steady, started.elapsed());
    tokio::time::sleep(phase_length).await;

    let began = started.elapsed();
    tokio::task::block_in_place(|| cluster.kill());
    phase("database", Event::Killed, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    tokio::task::block_in_place(|| cluster.start());
    wait_for(postgres_address).await;
    phase("database", Event::Restarted, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    tokio::task::block_in_place(|| signal_tree("-STOP", cluster.pid()));
    phase("database", Event::Stopped, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    tokio::task::block_in_place(|| signal_tree("-CONT", cluster.pid()));
    phase("database", Event::Resumed, began);
    tokio::time::sleep(phase_length).await;

    let began = started.elapsed();
    tokio::task::block_in_place(|| redis.stop());
    phase("cache", Event::Killed, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    assert!(tokio::task::block_in_place(|| redis.restart()), "redis-server starts again");
    wait_for(redis_address).await;
    phase("cache", Event::Restarted, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    let redis_pid = redis.pid().expect("redis-server runs");
    tokio::task::block_in_place(|| signal_tree("-STOP", redis_pid));
    phase("cache", Event::Stopped, began);
    tokio::time::sleep(phase_length).await;
    let began = started.elapsed();
    tokio::task::block_in_place(|| signal_tree("-CONT", redis_pid));
    phase("cache", Event::Resumed, began);
    tokio::time::sleep(phase_length).await;

    running.store(false, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let wrk = match wrk {
        Some(child) => {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status();
            }
            String::from_utf8_lossy(&child.wait_with_output().await.unwrap().stdout).into_owned()
        }
        None => "wrk is not installed: the test's own clients only".to_owned(),
    };
    let samples = samples.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let timeline = timeline(&samples, &phases, &wrk);
    println!("{timeline}");
    let _ = std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/target/kill-under-load.txt"), &timeline);

    for sample in &samples {
        assert!(matches!(sample.status, 200 | 503), "only 200 and 503: {sample:?}");
        assert!(sample.latency < TIMEOUT + Duration::from_secs(1), "a hang is cut by the timeout: {sample:?}");
    }
    for phase in &phases {
        let settled = phase.at + settling(phase.event);
        // Answered within the phase: one sent before the next action but
        // answered after it may show either.
        let after: Vec<&Sample> =
            samples.iter().filter(|s| s.sent >= settled && s.sent + s.latency < phase.until).collect();
        assert!(!after.is_empty(), "no request in {phase:?}");
        for sample in after {
            match phase.event {
                Event::Killed | Event::Stopped => {
                    assert_eq!(sample.status, 503, "{phase:?}: {sample:?}");
                    assert_eq!(component(sample, phase.component), "DOWN", "{phase:?}: {sample:?}");
                }
                Event::Steady | Event::Restarted | Event::Resumed => {
                    assert_eq!(sample.status, 200, "{phase:?}: {sample:?}");
                }
            }
        }
    }
}

/// How long after an event the answers must show it: the timeout plus one
/// report when a dependency fails, two reports when it is back. A report
/// starts at most `REFRESH` after the last one ended, and takes at most
/// `TIMEOUT`.
fn settling(event: Event) -> Duration {
    let report = REFRESH + TIMEOUT;
    // Timers fire late on a loaded machine.
    let slack = Duration::from_millis(500);
    match event {
        Event::Steady => Duration::ZERO,
        Event::Killed | Event::Stopped => TIMEOUT + report + slack,
        Event::Restarted | Event::Resumed => report * 2 + slack,
    }
}

fn component<'s>(sample: &'s Sample, name: &str) -> &'s str {
    if name == "database" { &sample.database } else { &sample.cache }
}

/// Sends `GET /health/ready` one after another while `running`.
async fn send_while(address: SocketAddr, started: Instant, running: Arc<AtomicBool>, samples: Arc<Mutex<Vec<Sample>>>) {
    while running.load(Ordering::SeqCst) {
        let sent = started.elapsed();
        let answer = tokio::time::timeout(Duration::from_secs(5), client::get(address, "/health/ready")).await;
        let latency = started.elapsed() - sent;
        let sample = match answer {
            Ok(answer) => {
                let body = answer.json();
                let status_of = |name: &str| body["components"][name]["status"].as_str().unwrap_or("?").to_owned();
                Sample {
                    sent,
                    latency,
                    status: answer.status,
                    database: status_of("database"),
                    cache: status_of("cache"),
                }
            }
            Err(_) => Sample { sent, latency, status: 0, database: "?".into(), cache: "?".into() },
        };
        samples.lock().unwrap_or_else(PoisonError::into_inner).push(sample);
    }
}

/// A steady wrk load on `/health/ready` for `total`, where wrk is installed.
fn wrk(address: SocketAddr, total: Duration) -> Option<tokio::process::Child> {
    let child = tokio::process::Command::new("wrk")
        .args(["-t1", "-c8", &format!("-d{}s", total.as_secs()), &format!("http://{address}/health/ready")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    if child.is_err() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"NOTE: wrk is not installed; the load is this test's own clients only\n",
        );
    }
    child.ok()
}

/// Sends `signal` to `pid` and to its children (PostgreSQL's backends).
pub(crate) fn signal_tree(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill {signal} {pid}");
    // pkill exits 1 when the process has no children; that is fine.
    let _ = std::process::Command::new("pkill").args([signal, "-P", &pid.to_string()]).status();
}

/// Per second: the phase, the answers by status, the components' statuses
/// seen, requests without an answer, and the p99 latency.
fn timeline(samples: &[Sample], phases: &[Phase], wrk: &str) -> String {
    let mut text = String::from("second | phase | 200 | 503 | other | database | cache | p99 ms\n");
    text.push_str("---|---|---|---|---|---|---|---\n");
    let seconds = samples.iter().map(|s| s.sent.as_secs()).max().unwrap_or(0);
    for second in 0..=seconds {
        let in_second: Vec<&Sample> = samples.iter().filter(|s| s.sent.as_secs() == second).collect();
        let at = Duration::from_secs(second);
        let phase = phases
            .iter()
            .rev()
            .find(|p| p.at <= at + Duration::from_millis(999))
            .map_or_else(|| "-".to_owned(), |p| format!("{} {:?}", p.component, p.event).to_lowercase());
        let count = |status: u16| in_second.iter().filter(|s| s.status == status).count();
        let other = in_second.len() - count(200) - count(503);
        let seen = |pick: fn(&Sample) -> &str| {
            let mut seen: Vec<&str> = in_second.iter().map(|s| pick(s)).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.join("/")
        };
        let mut latencies: Vec<Duration> = in_second.iter().map(|s| s.latency).collect();
        latencies.sort_unstable();
        let p99 = latencies.get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)));
        text.push_str(&format!(
            "{second} | {phase} | {} | {} | {other} | {} | {} | {:.1}\n",
            count(200),
            count(503),
            seen(|s| &s.database),
            seen(|s| &s.cache),
            p99.map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        ));
    }
    text.push_str(&format!("\nwrk on /health/ready throughout:\n{wrk}"));
    text
}
