//! Prints a real health report of this machine as JSON.
//!
//! ```text
//! cargo run --example report                 # the report
//! cargo run --example report -- --schema     # its JSON Schema
//! DATABASE_URL=postgres://app:secret@127.0.0.1:5432/app cargo run --example report
//! ```
//!
//! The database check opens a TCP connection to the host and port of
//! `DATABASE_URL` (default `127.0.0.1:5432`); when it fails, its message quotes
//! the URL, with the password redacted.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use health_core::{HealthReport, Outcome, health_check};
use serde::Serialize;

struct AppState {
    database_url: String,
    scratch_dir: PathBuf,
}

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Connection {
    /// The `host:port` that answered.
    address: String,
    /// How long the TCP handshake took.
    connect_ms: f64,
}

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Scratch {
    path: String,
    bytes: usize,
}

/// The primary database accepts TCP connections.
#[health_check(timeout = "500ms", critical)]
async fn database(state: &AppState) -> Result<Connection, String> {
    let address = host_and_port(&state.database_url);
    let started = Instant::now();
    match tokio::net::TcpStream::connect(&address).await {
        Ok(_) => Ok(Connection { address, connect_ms: started.elapsed().as_micros() as f64 / 1000.0 }),
        Err(error) => Err(format!("cannot connect to {}: {error}", state.database_url)),
    }
}

/// The scratch directory takes a write and gives it back.
#[health_check(timeout = "250ms")]
async fn scratch(state: &AppState) -> Outcome<Scratch> {
    let path = state.scratch_dir.join("health-check.probe");
    let probe = b"health probe";
    let written = tokio::fs::write(&path, probe).await;
    let read = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    let details = Scratch { path: path.display().to_string(), bytes: probe.len() };
    match (written, read) {
        (Ok(()), Ok(back)) if back == probe => Outcome::up(details),
        (Ok(()), Ok(_)) => Outcome::degraded(details).with_message("read back different bytes"),
        (Err(error), _) | (_, Err(error)) => Outcome::down(details).with_message(error.to_string()),
    }
}

/// The system clock is past 2020: certificates and tokens depend on it.
#[health_check(timeout = "50ms", cache = "10s")]
async fn clock() -> Outcome<u64> {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(now) if now > Duration::from_secs(1_577_836_800) => Outcome::up(now.as_secs()),
        Ok(now) => Outcome::degraded(now.as_secs()).with_message("the clock is set before 2020"),
        Err(_) => Outcome::status_only(health_core::Status::Down).with_message("the clock is before 1970"),
    }
}

#[derive(HealthReport, Default)]
#[health(state = AppState, deadline = "1s")]
struct Health {
    database: DatabaseCheck,
    #[health(rename = "scratch-dir")]
    scratch: ScratchCheck,
    clock: ClockCheck,
}

/// `host:port` of a URL such as `postgres://user:password@host:5432/db`.
fn host_and_port(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") }
}

#[tokio::main]
async fn main() -> Result<(), serde_json::Error> {
    if std::env::args().any(|arg| arg == "--schema") {
        println!("{}", serde_json::to_string_pretty(&Health::json_schema())?);
        return Ok(());
    }
    let state = AppState {
        database_url: std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://127.0.0.1:5432/postgres".into()),
        scratch_dir: std::env::temp_dir(),
    };
    let report = Health::default().report(&state).await;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
