//! Checks against the machine's real PostgreSQL and Redis, speaking their wire
//! protocols. They run when `DATABASE_URL` / `REDIS_URL` are set (`.ci/run` sets
//! them) and say they were skipped otherwise.

use std::time::Duration;

use health_core::{HealthReport, Status, health_check};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Services {
    database_url: String,
    redis_url: String,
}

/// `host:port` of `scheme://user:password@host:port/path`.
fn address(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.contains(':') { host.to_owned() } else { format!("{host}:{default_port}") }
}

/// PostgreSQL answers an SSLRequest with `S` or `N`.
#[health_check(timeout = "1s", critical)]
async fn postgres(services: &Services) -> Result<String, String> {
    let url = &services.database_url;
    let fail = |error: std::io::Error| format!("cannot reach {url}: {error}");
    let mut stream = TcpStream::connect(address(url, 5432)).await.map_err(fail)?;
    // Length 8, then the SSLRequest code 80877103.
    stream.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await.map_err(fail)?;
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).await.map_err(fail)?;
    match answer[0] {
        b'S' | b'N' => Ok(format!("ssl {}", if answer[0] == b'S' { "on" } else { "off" })),
        other => Err(format!("unexpected answer {other:#x} from {url}")),
    }
}

/// Redis answers `PING` with `+PONG`.
#[health_check(timeout = "1s")]
async fn redis(services: &Services) -> Result<(), String> {
    let url = &services.redis_url;
    let fail = |error: std::io::Error| format!("cannot reach {url}: {error}");
    let mut stream = TcpStream::connect(address(url, 6379)).await.map_err(fail)?;
    stream.write_all(b"PING\r\n").await.map_err(fail)?;
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).await.map_err(fail)?;
    if &answer == b"+PONG\r\n" { Ok(()) } else { Err(format!("unexpected answer {answer:?}")) }
}

#[derive(HealthReport, Default)]
#[health(state = Services, deadline = "2s")]
struct Health {
    postgres: PostgresCheck,
    redis: RedisCheck,
}

fn services() -> Option<Services> {
    match (std::env::var("DATABASE_URL"), std::env::var("REDIS_URL")) {
        (Ok(database_url), Ok(redis_url)) => Some(Services { database_url, redis_url }),
        _ => {
            // Written to stderr directly: the test harness captures `eprintln!`.
            let notice = "SKIPPED: set DATABASE_URL and REDIS_URL to run the checks against real services\n";
            let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
            None
        }
    }
}

#[tokio::test]
async fn real_postgres_and_redis_are_up() {
    let Some(services) = services() else { return };
    let report = Health::default().report(&services).await;
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(report.components.postgres.status, Status::Up, "{json}");
    assert_eq!(report.components.redis.status, Status::Up, "{json}");
    assert_eq!(report.status, Status::Up);
}

#[tokio::test]
async fn an_unreachable_database_is_down_without_leaking_its_password() {
    let Some(mut services) = services() else { return };
    // A port on this machine where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    services.database_url = format!("postgres://app:hunter2@127.0.0.1:{port}/app");
    let report = tokio::time::timeout(Duration::from_secs(3), Health::default().report(&services)).await.unwrap();
    assert_eq!(report.components.postgres.status, Status::Down);
    assert_eq!(report.status, Status::Down, "postgres is critical");
    assert_eq!(report.components.redis.status, Status::Up, "the other component is unaffected");
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("postgres://app:***@127.0.0.1"), "{json}");
    assert!(!json.contains("hunter2"), "{json}");
}
