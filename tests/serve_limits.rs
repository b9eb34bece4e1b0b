//! `serve` protects itself: a header-read timeout closes slow and idle
//! connections; past the cap, a new connection takes the place of the one
//! that has waited longest for a request head, or is closed at once when all
//! are busy; probes answer on the same port while slow-loris clients fill it,
//! and on a listener of their own while the main one is busy. Real sockets on
//! 127.0.0.1; bounds are generous.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::Arc;
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

/// Keeps a request busy for a while, counting the runs begun.
async fn busy_for_a_while(runs: &AtomicUsize) {
    runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1200)).await;
}

#[health_check(timeout = "5s", groups(readiness))]
async fn slow(runs: &AtomicUsize) {
    busy_for_a_while(runs).await;
}

#[health_check(timeout = "5s", groups(readiness))]
async fn slower(runs: &AtomicUsize) {
    busy_for_a_while(runs).await;
}

/// Sends a request for each slow component and waits until both are inside
/// their checks; they answer in a second or so. Two components: requests for
/// one would share one run.
async fn two_busy(address: SocketAddr, runs: &AtomicUsize) -> Vec<tokio::task::JoinHandle<client::Answer>> {
    let before = runs.load(Ordering::SeqCst);
    let busy = ["/health/slow", "/health/slower"].map(|path| tokio::spawn(client::get(address, path))).into();
    while runs.load(Ordering::SeqCst) < before + 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    busy
}

#[derive(HealthReport, Default)]
#[health(state = AtomicUsize)]
struct Health {
    process: ProcessCheck,
    slow: SlowCheck,
    slower: SlowerCheck,
}

/// Serves the endpoints with `options` on a free port; its address.
async fn start(options: ServeOptions) -> SocketAddr {
    start_counting(options).await.0
}

/// [`start`], with the count of the slow checks' runs.
async fn start_counting(options: ServeOptions) -> (SocketAddr, Arc<AtomicUsize>) {
    let (addresses, runs) = start_serving(&[options]).await;
    (addresses[0], runs)
}

/// Serves one monitor's endpoints on a free port for each of `options`, with
/// one shutdown handle, as a service with a probe lane does; their
/// addresses, and the count of the slow checks' runs.
async fn start_serving(options: &[ServeOptions]) -> (Vec<SocketAddr>, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let monitor = Monitor::new(Health::default(), Arc::clone(&runs));
    let shutdown = monitor.shutdown_handle();
    let router = HealthService::builder(monitor).build().expect("a valid configuration").router();
    let mut addresses = Vec::new();
    for options in options {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        addresses.push(listener.local_addr().expect("bound"));
        tokio::spawn(serve_with(listener, router.clone(), shutdown.clone(), Duration::ZERO, options.clone()));
    }
    (addresses, runs)
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
async fn past_the_cap_a_new_connection_takes_the_place_of_the_one_that_has_waited_longest() {
    let address = start(ServeOptions::default().header_read_timeout(Duration::from_secs(30)).max_connections(3)).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        slow.push(slow_loris(address).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Probes that keep their connections: each takes a slow-loris one's place.
    let mut probes = Vec::new();
    for (evicted, slow) in slow.iter_mut().enumerate() {
        let started = Instant::now();
        let mut probe = TcpStream::connect(address).await.expect("connect");
        assert_eq!(request_on(&mut probe).await, "HTTP/1.1 200 OK", "a probe gets in past the cap");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        probes.push(probe);
        let closed = closed_within(slow, Duration::from_secs(2)).await;
        assert!(closed.is_some(), "slow-loris connection {evicted}, the longest waiting, was closed for it");
    }
    // Then the probe that has waited longest gives way, and the others are still answered.
    let mut newest = TcpStream::connect(address).await.expect("connect");
    assert_eq!(request_on(&mut newest).await, "HTTP/1.1 200 OK");
    assert!(closed_within(&mut probes[0], Duration::from_secs(2)).await.is_some(), "the longest waiting probe");
    assert_eq!(request_on(&mut probes[2]).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn past_the_cap_a_new_connection_is_closed_at_once_when_every_connection_is_busy() {
    let (address, runs) = start_counting(ServeOptions::default().max_connections(2)).await;
    let busy = two_busy(address, &runs).await;
    let started = Instant::now();
    let mut extra = TcpStream::connect(address).await.expect("the kernel accepts");
    let mut refusal = Vec::new();
    extra.read_to_end(&mut refusal).await.expect("closed past the cap");
    let refusal = String::from_utf8_lossy(&refusal);
    assert!(refusal.starts_with("HTTP/1.1 503"), "told why: {refusal}");
    assert!(refusal.ends_with("connection limit is reached"), "{refusal}");
    assert!(started.elapsed() < Duration::from_millis(900), "at once, not after the busy requests");
    for request in busy {
        assert_eq!(request.await.expect("answered").status, 200, "the busy connections are answered");
    }
}

#[tokio::test]
async fn probes_answer_on_the_same_port_while_slow_loris_clients_fill_it() {
    let address = start(ServeOptions::default().header_read_timeout(Duration::from_secs(30)).max_connections(8)).await;
    let mut held = Vec::new();
    for _ in 0..64 {
        held.push(slow_loris(address).await);
    }
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(client::get(address, "/health/live").await.status, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(2), "10 probes took {:?}", started.elapsed());
    drop(held);
}

#[tokio::test]
async fn probes_on_a_listener_of_their_own_answer_while_the_main_one_is_busy() {
    // One monitor and one shutdown handle behind both listeners.
    let options = [ServeOptions::default().max_connections(2), ServeOptions::default().max_connections(8)];
    let (addresses, runs) = start_serving(&options).await;
    let (main, probes) = (addresses[0], addresses[1]);
    let busy = two_busy(main, &runs).await;
    let runs_begun = runs.load(Ordering::SeqCst);
    // The lane reads the same monitor: it joins the main port's run in flight.
    let joined = tokio::spawn(client::get(probes, "/health/slow"));
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(client::get(probes, "/health/live").await.status, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(1), "10 probes took {:?}", started.elapsed());
    for request in busy {
        assert_eq!(request.await.expect("answered").status, 200);
    }
    assert_eq!(joined.await.expect("answered").status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), runs_begun, "no run of its own");
}
