//! A cache that goes away and comes back: this test runs its own `redis-server`
//! on a free port, sees `cache` UP, kills the server, sees DOWN within the
//! check's timeout, restarts it and sees UP again, over the HTTP endpoints.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

use client::get;
use health_core::http::{HealthService, Visibility};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Redis {
    address: SocketAddr,
}

/// Redis answers `PING`.
#[health_check(timeout = "250ms")]
async fn cache(redis: &Redis) -> Result<(), String> {
    let fail = |error: std::io::Error| format!("cannot reach redis at {}: {error}", redis.address);
    let mut stream = TcpStream::connect(redis.address).await.map_err(fail)?;
    stream.write_all(b"PING\r\n").await.map_err(fail)?;
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).await.map_err(fail)?;
    if &answer == b"+PONG\r\n" { Ok(()) } else { Err("no PONG".into()) }
}

#[derive(HealthReport, Default)]
#[health(state = Redis)]
struct Health {
    cache: CacheCheck,
}

/// A `redis-server` that is killed when dropped, even if the test panics.
struct Server(Child);

impl Server {
    fn start(port: u16) -> Option<Server> {
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .map(Server)
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The cache component's status, and how long the request took.
async fn cache_status(health: SocketAddr) -> (String, Duration) {
    let started = Instant::now();
    let answer = get(health, "/health/cache").await;
    (answer.json()["status"].as_str().unwrap_or_default().to_owned(), started.elapsed())
}

async fn wait_for(health: SocketAddr, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache_status(health).await.0 != wanted {
        assert!(Instant::now() < deadline, "cache never became {wanted}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_cache_goes_down_and_comes_back_up_with_its_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Some(mut server) = Server::start(port) else {
        let notice = "SKIPPED: redis-server is not installed; the restart test needs it\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
        return;
    };
    let redis = Redis { address: SocketAddr::from(([127, 0, 0, 1], port)) };
    let service =
        HealthService::builder(Monitor::new(Health::default(), redis)).visibility(Visibility::Always).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let health = listener.local_addr().unwrap();
    client::register(health, service.openapi());
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });

    wait_for(health, "UP").await;

    server.stop();
    let (status, took) = cache_status(health).await;
    assert_eq!(status, "DOWN");
    // The check's timeout is 250 ms; the bound leaves room for a busy machine.
    assert!(took < Duration::from_millis(1500), "DOWN is known within the check's timeout: {took:?}");

    let _restarted = Server::start(port).expect("redis-server starts again");
    wait_for(health, "UP").await;
}
