//! `serve` protects itself: a header-read timeout closes slow and idle
//! connections, a cap closes connections past it at once while those inside
//! keep being answered, and probes on a listener of their own answer while the
//! main one is full. Real sockets on 127.0.0.1; bounds are generous.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::time::Duration;

use health_core::http::{HealthEndpoints, ServeOptions, serve_with};
use health_core::{HealthReport, Monitor, health_check};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

#[health_check(groups(liveness, readiness))]
async fn process() {}

#[derive(HealthReport, Default)]
struct Health {
    process: ProcessCheck,
}

/// Serves the endpoints with `options` on a free port; its address.
async fn start(options: ServeOptions) -> SocketAddr {
    let monitor = Monitor::new(Health::default(), ());
    let shutdown = monitor.shutdown_handle();
    let router = HealthEndpoints::new(monitor).build().expect("a valid configuration").router();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(serve_with(listener, router, shutdown, Duration::ZERO, options));
    address
}

/// A slow-loris client: half a request head, then nothing.
async fn slow_loris(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("send");
    stream
}

/// How long until the server closes `stream`, reading whatever it sends; `None`
/// if it is still open after `patience`.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(started + patience, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// One request on a kept-alive connection; the status line.
async fn request_on(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("send");
    let mut buffer = vec![0u8; 4096];
    let read = stream.read(&mut buffer).await.expect("a response");
    String::from_utf8_lossy(&buffer[..read]).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_request_head_is_closed() {
    let address = start(ServeOptions::default().header_read_timeout(Duration::from_millis(300))).await;
    let mut slow = slow_loris(address).await;
    let closed = closed_within(&mut slow, Duration::from_secs(5)).await.expect("closed by the server");
    assert!(closed >= Duration::from_millis(250), "not before the timeout: {closed:?}");
    assert!(closed < Duration::from_secs(3), "soon after it: {closed:?}");
    // Meanwhile whole requests are answered.
    assert_eq!(client::get(address, "/health/live").await.status, 200);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_same_timeout() {
    let address = start(ServeOptions::default().header_read_timeout(Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    assert_eq!(request_on(&mut stream).await, "HTTP/1.1 200 OK");
    let closed = closed_within(&mut stream, Duration::from_secs(5)).await.expect("closed when idle");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
}

#[tokio::test]
async fn past_the_cap_connections_are_closed_at_once_and_those_inside_keep_being_answered() {
    let address = start(ServeOptions::default().header_read_timeout(Duration::from_secs(30)).max_connections(3)).await;
    // A probe's kept-alive connection, then two slow-loris ones: the cap is full.
    let mut probe = TcpStream::connect(address).await.expect("connect");
    assert_eq!(request_on(&mut probe).await, "HTTP/1.1 200 OK");
    let mut slow = vec![slow_loris(address).await, slow_loris(address).await];
    for _ in 0..5 {
        let mut extra = TcpStream::connect(address).await.expect("the kernel accepts");
        let closed = closed_within(&mut extra, Duration::from_secs(5)).await.expect("closed past the cap");
        assert!(closed < Duration::from_secs(2), "at once, not at the header timeout: {closed:?}");
    }
    assert_eq!(request_on(&mut probe).await, "HTTP/1.1 200 OK", "the connection inside the cap is answered");
    // A slot freed is a slot for the next client.
    drop(slow.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut next = TcpStream::connect(address).await.expect("connect");
        next.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("send");
        let mut answer = Vec::new();
        let _ = next.read_to_end(&mut answer).await;
        if answer.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the freed slot was never reused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn probes_on_a_listener_of_their_own_answer_while_the_main_one_is_full() {
    let main = start(ServeOptions::default().header_read_timeout(Duration::from_secs(30)).max_connections(8)).await;
    let probes = start(ServeOptions::default().max_connections(8)).await;
    let mut held = Vec::new();
    for _ in 0..64 {
        held.push(slow_loris(main).await);
    }
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(client::get(probes, "/health/live").await.status, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(2), "10 probes took {:?}", started.elapsed());
    // The main listener, full of slow clients, turns newcomers away.
    let mut turned_away = TcpStream::connect(main).await.expect("the kernel accepts");
    assert!(closed_within(&mut turned_away, Duration::from_secs(2)).await.is_some());
    drop(held);
}
