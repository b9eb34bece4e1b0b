//! `serve_with` ends cleanly whichever way it ends: a listener that fails is
//! an error returned, not a loop; when it returns or is dropped, every task
//! it spawned ends and the connections it leaves are closed. Real sockets on
//! 127.0.0.1; bounds are generous.

#[path = "support/http.rs"]
mod client;

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use health_core::http::{HealthService, ServeOptions, serve_with};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

#[health_check(groups(liveness, readiness))]
async fn process() {}

#[derive(HealthReport, Default)]
struct Health {
    process: ProcessCheck,
}

/// Requests that reached the route that never answers in time.
static STUCK: AtomicUsize = AtomicUsize::new(0);

/// The app: the health routes, and a route that never answers in time.
fn app(monitor: &Monitor<Health>) -> axum::Router {
    let health = HealthService::builder(monitor.clone()).build().expect("a valid configuration");
    axum::Router::new()
        .route(
            "/stuck",
            axum::routing::get(|| async {
                STUCK.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(60)).await;
                "too late"
            }),
        )
        .merge(health.router())
}

/// Sends `GET /stuck` and waits until the server is busy with it.
async fn stuck(address: std::net::SocketAddr) -> TcpStream {
    let before = STUCK.load(Ordering::SeqCst);
    let stream = send(address, "/stuck").await;
    while STUCK.load(Ordering::SeqCst) == before {
        tokio::task::yield_now().await;
    }
    stream
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Waits until as many tasks are alive as `before`; how many there are.
async fn tasks_back_to(before: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive_tasks() > before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    alive_tasks()
}

/// Sends `GET path` on a connection kept open, without reading the answer.
async fn send(address: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.expect("send");
    stream
}

/// Whether the server closed `stream` within `patience`, reading what it sent.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_fails_is_an_error_returned() {
    let monitor = Monitor::new(Health::default(), ());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fd = listener.as_raw_fd();
    let served = tokio::spawn(serve_with(
        listener,
        app(&monitor),
        monitor.shutdown_handle(),
        Duration::ZERO,
        ServeOptions::default(),
    ));
    tokio::task::yield_now().await;
    // Shutting a listening socket down makes every accept on it fail (EINVAL):
    // the socket is no longer usable.
    // SAFETY: `fd` is the listener's, which the server owns and keeps open.
    assert_eq!(unsafe { libc::shutdown(fd, libc::SHUT_RDWR) }, 0);
    let returned = tokio::time::timeout(Duration::from_secs(5), served).await.expect("serve returns").unwrap();
    let error = returned.expect_err("the listener's error is returned");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    assert!(!monitor.is_shutting_down(), "the caller decides whether to drain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_server_ends_its_tasks_and_closes_its_connections() {
    let monitor = Monitor::new(Health::default(), ());
    let before = alive_tasks();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = tokio::spawn(serve_with(
        listener,
        app(&monitor),
        monitor.shutdown_handle(),
        Duration::ZERO,
        ServeOptions::default(),
    ));
    assert_eq!(client::get(address, "/health/live").await.status, 200);
    let mut stuck = stuck(address).await;
    let mut idle = TcpStream::connect(address).await.unwrap();
    // The server, its signal watcher and two connections.
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive_tasks() < before + 4 && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    assert!(alive_tasks() >= before + 4, "{} tasks alive", alive_tasks());
    served.abort();
    assert!(served.await.unwrap_err().is_cancelled());
    assert!(closed_within(&mut stuck, Duration::from_secs(5)).await, "a busy connection is closed");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "an idle connection is closed");
    assert_eq!(tasks_back_to(before).await, before, "every task the server spawned ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_grace_the_server_returns_and_closes_the_connections_it_leaves() {
    let monitor = Monitor::new(Health::default(), ());
    let before = alive_tasks();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let grace = Duration::from_millis(200);
    let served = tokio::spawn(serve_with(
        listener,
        app(&monitor),
        monitor.shutdown_handle(),
        Duration::ZERO,
        ServeOptions::default().grace(grace),
    ));
    assert_eq!(client::get(address, "/health/live").await.status, 200);
    let mut stuck = stuck(address).await;
    let began = Instant::now();
    monitor.begin_shutdown();
    let returned = tokio::time::timeout(Duration::from_secs(5), served).await.expect("serve returns").unwrap();
    assert!(returned.is_ok(), "{returned:?}");
    assert!(began.elapsed() >= grace, "not before the grace: {:?}", began.elapsed());
    assert!(closed_within(&mut stuck, Duration::from_secs(2)).await, "the request past the grace is cut");
    assert_eq!(tasks_back_to(before).await, before, "every task the server spawned ended");
}
