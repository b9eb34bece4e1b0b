//! The test kit (`health_core::testing`) on real sockets: every fault of
//! the proxy as a client sees it, its counts, the scripted check's steps in
//! reports, `Runs` and `HealthClient`'s assertions and waits, including how
//! they fail.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_core::monitor::{Monitor, Subject};
use health_core::testing::{
    Close, Direction, FaultProxy, HealthClient, Runs, ScriptedCheck, SilentServer, Step, Tap, Within,
};
use health_core::{CheckOptions, HealthReport, Registry, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// An echo server: the dependency behind the proxy.
async fn echo() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0; 1024];
                while let Ok(read @ 1..) = socket.read(&mut buffer).await {
                    if socket.write_all(&buffer[..read]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    address
}

/// Sends `message` on `stream` and reads as many bytes back, within `wait`.
async fn round_trip(stream: &mut TcpStream, message: &[u8], wait: Duration) -> Option<Vec<u8>> {
    stream.write_all(message).await.ok()?;
    let mut answer = vec![0; message.len()];
    tokio::time::timeout(wait, stream.read_exact(&mut answer)).await.ok()?.ok()?;
    Some(answer)
}

/// Waits until `condition` holds, for at most two seconds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !condition() {
        assert!(Instant::now() < deadline, "{what} within 2 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_connections_pass_through_and_are_counted_until_closed() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let clients: Vec<_> = (0..64u8)
        .map(|n| {
            let address = proxy.address();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                let answer = round_trip(&mut stream, &[n; 100], Duration::from_secs(5)).await;
                (stream, answer == Some(vec![n; 100]))
            })
        })
        .collect();
    let mut streams = Vec::new();
    for client in clients {
        let (stream, echoed) = client.await.unwrap();
        assert!(echoed, "every client got its own bytes back");
        streams.push(stream);
    }
    assert_eq!(proxy.accepted(), 64);
    assert_eq!(proxy.open_connections(), 64);
    drop(streams);
    eventually("every connection closed", || proxy.open_connections() == 0).await;
    assert_eq!(proxy.accepted(), 64);
}

#[tokio::test]
async fn latency_is_added_in_the_direction_asked_and_removed_by_restore() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
    let wait = Duration::from_secs(5);
    for direction in [Direction::ToUpstream, Direction::ToClient, Direction::Both] {
        proxy.restore().unwrap();
        proxy.latency(direction, Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(round_trip(&mut stream, b"slow", wait).await.as_deref(), Some(&b"slow"[..]));
        let took = started.elapsed();
        // One way delays the round trip once, both ways twice.
        let (least, most) = if direction == Direction::Both { (400, 1000) } else { (200, 400) };
        assert!(took >= Duration::from_millis(least), "{direction:?}: {took:?}");
        assert!(took < Duration::from_millis(most), "{direction:?}: {took:?}");
    }
    proxy.restore().unwrap();
    let started = Instant::now();
    assert!(round_trip(&mut stream, b"fast", wait).await.is_some());
    assert!(started.elapsed() < Duration::from_millis(200), "restored: {:?}", started.elapsed());
}

#[tokio::test]
async fn latency_is_a_delay_line_not_a_delay_per_chunk() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
    proxy.latency(Direction::ToUpstream, Duration::from_millis(200));
    let started = Instant::now();
    // Ten writes, each its own chunk: all arrive 200 ms late, not 2 s.
    for n in 0..10u8 {
        stream.write_all(&[n]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut echoed = [0; 10];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert_eq!(echoed, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test]
async fn a_blackhole_stops_answering_mid_stream_and_accepts_new_connections_it_never_answers() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let mut open = TcpStream::connect(proxy.address()).await.unwrap();
    let short = Duration::from_millis(200);
    assert!(round_trip(&mut open, b"before", short).await.is_some());
    proxy.blackhole();
    assert_eq!(round_trip(&mut open, b"during", short).await, None, "no answer mid-stream");
    let mut new = TcpStream::connect(proxy.address()).await.expect("accepted");
    assert_eq!(round_trip(&mut new, b"hello", short).await, None, "accepted, never answered");
    assert_eq!(proxy.accepted(), 2);
    proxy.restore().unwrap();
    // What was held flows, as after a partition heals.
    let mut held = [0; 6];
    tokio::time::timeout(Duration::from_secs(5), open.read_exact(&mut held)).await.unwrap().unwrap();
    assert_eq!(&held, b"during");
    let mut after = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut after, b"after", Duration::from_secs(5)).await.is_some());
}

#[tokio::test]
async fn a_cut_closes_every_open_connection_with_fin_or_reset() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let mut fin = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut fin, b"one", Duration::from_secs(5)).await.is_some());
    proxy.cut(Close::Fin);
    let mut buffer = [0; 8];
    let read = tokio::time::timeout(Duration::from_secs(2), fin.read(&mut buffer)).await.unwrap();
    assert_eq!(read.unwrap(), 0, "an orderly end of stream");

    let mut reset = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut reset, b"two", Duration::from_secs(5)).await.is_some());
    proxy.cut(Close::Reset);
    let read = tokio::time::timeout(Duration::from_secs(2), reset.read(&mut buffer)).await.unwrap();
    assert_eq!(read.unwrap_err().kind(), ErrorKind::ConnectionReset);
    eventually("both cut connections closed", || proxy.open_connections() == 0).await;

    // New connections are accepted as before.
    let mut again = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut again, b"three", Duration::from_secs(5)).await.is_some());
}

#[tokio::test]
async fn refused_connections_fail_at_once_while_open_ones_go_on_and_the_same_port_accepts_after_restore() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let mut open = TcpStream::connect(proxy.address()).await.unwrap();
    // Relayed already: a connection the proxy had not yet accepted is reset.
    assert!(round_trip(&mut open, b"first", Duration::from_secs(5)).await.is_some());
    proxy.refuse();
    let refused = TcpStream::connect(proxy.address()).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    assert!(round_trip(&mut open, b"still", Duration::from_secs(5)).await.is_some(), "open connections go on");
    proxy.restore().unwrap();
    let mut new = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut new, b"back", Duration::from_secs(5)).await.is_some());
    assert_eq!(proxy.accepted(), 2);
}

#[tokio::test]
async fn dropping_the_proxy_closes_its_port_and_every_connection() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let address = proxy.address();
    let mut open = TcpStream::connect(address).await.unwrap();
    assert!(round_trip(&mut open, b"x", Duration::from_secs(5)).await.is_some());
    drop(proxy);
    let mut buffer = [0; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), open.read(&mut buffer)).await.unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert_eq!(TcpStream::connect(address).await.unwrap_err().kind(), ErrorKind::ConnectionRefused);
}

/// A chunk a tap saw: its connection, direction and bytes.
#[derive(Debug, PartialEq)]
struct Chunk(u64, Direction, Vec<u8>);

/// What a tap saw, in order: chunks, and connections closed.
#[derive(Clone, Default)]
struct Seen {
    chunks: Arc<Mutex<Vec<Chunk>>>,
    closed: Arc<Mutex<Vec<u64>>>,
}

impl Tap for Seen {
    fn forwarded(&self, connection: u64, direction: Direction, bytes: &[u8]) {
        self.chunks.lock().unwrap().push(Chunk(connection, direction, bytes.to_vec()));
    }

    fn closed(&self, connection: u64) {
        self.closed.lock().unwrap().push(connection);
    }
}

#[tokio::test]
async fn a_tap_sees_each_chunk_in_its_direction_and_each_close() {
    let seen = Seen::default();
    let proxy = FaultProxy::builder(echo().await).tap(seen.clone()).start().await.unwrap();
    let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
    assert!(round_trip(&mut stream, b"ping", Duration::from_secs(5)).await.is_some());
    assert_eq!(
        *seen.chunks.lock().unwrap(),
        [Chunk(0, Direction::ToUpstream, b"ping".to_vec()), Chunk(0, Direction::ToClient, b"ping".to_vec())]
    );
    drop(stream);
    eventually("the close seen", || *seen.closed.lock().unwrap() == [0]).await;
}

#[tokio::test]
async fn a_url_is_rewritten_to_go_through_the_proxy() {
    let proxy = FaultProxy::start(echo().await).await.unwrap();
    let through = proxy.address();
    assert_eq!(
        proxy.url("postgres://app:secret@db.internal:5432/app?sslmode=disable"),
        format!("postgres://app:secret@{through}/app?sslmode=disable")
    );
    assert_eq!(proxy.url("amqp://guest:guest@[::1]:5672/%2f"), format!("amqp://guest:guest@{through}/%2f"));
    assert_eq!(proxy.url("redis://localhost"), format!("redis://{through}"));
    assert_eq!(proxy.url("not a url"), "not a url");
    let error = FaultProxy::in_front_of("unknown://nowhere").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("no port"), "{error}");
}

#[tokio::test]
async fn in_front_of_a_real_database_a_blackhole_is_a_timeout_and_restore_a_recovery() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        let notice = "SKIPPED: DATABASE_URL is not set; set it to run this test against a real PostgreSQL\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
        return;
    };
    let proxy = FaultProxy::in_front_of(&url).await.unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&proxy.url(&url))
        .await
        .unwrap();
    let query = || tokio::time::timeout(Duration::from_millis(500), sqlx::query("SELECT 1").execute(&pool));
    assert!(query().await.is_ok_and(|done| done.is_ok()));
    proxy.blackhole();
    assert!(query().await.is_err(), "the query hangs");
    // Healed: the held query and the next one go through on the same connection.
    proxy.restore().unwrap();
    let answers = || async {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !query().await.is_ok_and(|done| done.is_ok()) {
            assert!(Instant::now() < deadline, "PostgreSQL answers again through the proxy");
        }
    };
    answers().await;
    assert_eq!(proxy.accepted(), 1);
    // Cut: sqlx replaces the connection.
    proxy.cut(Close::Reset);
    answers().await;
    assert_eq!(proxy.accepted(), 2, "a new connection after the cut");
}

#[derive(HealthReport)]
struct Scripted {
    #[health(critical, timeout = "1s")]
    database: ScriptedCheck,
    #[health(timeout = "1s", groups(liveness))]
    heart: ScriptedCheck,
}

#[tokio::test(start_paused = true)]
async fn a_scripted_panic_and_hang_are_down_and_the_report_goes_on() {
    let database =
        ScriptedCheck::new([Step::panics("boom"), Step::hangs(), Step::up().after(Duration::from_millis(900))]);
    let health = Scripted { database: database.clone(), heart: ScriptedCheck::new([]) };
    let panicked = health.report(&()).await;
    assert_eq!(panicked.status, Status::Down);
    assert!(panicked.components.database.message.as_deref().unwrap().contains("panicked"), "{panicked:?}");
    assert_eq!(panicked.components.heart.status, Status::Up);
    let hung = health.report(&()).await;
    assert_eq!(hung.components.database.message.as_deref(), Some("timed out after 1s"));
    let slow = health.report(&()).await;
    assert_eq!(slow.components.database.status, Status::Up);
    assert_eq!(slow.components.database.duration, Duration::from_millis(900));
    assert_eq!(database.runs(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_scripted_check_is_retried_as_its_options_say() {
    let flaky = ScriptedCheck::new([Step::down("reset by peer"), Step::up()]);
    let mut registry = Registry::new();
    registry.register_with("flaky", flaky.clone(), CheckOptions::new().critical(true).retries(1)).unwrap();
    let report = registry.report(&()).await;
    let flaky_run = report.components.get("flaky").unwrap();
    assert_eq!((report.status, flaky_run.attempts), (Status::Up, 2));
    assert_eq!(flaky.runs(), 2);
}

/// The message of the panic of `work`, run on a task of its own.
async fn panic_message(work: impl Future<Output = ()> + Send + 'static) -> String {
    let panic = tokio::spawn(work).await.expect_err("it panics").into_panic();
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(panic) => panic.downcast::<&str>().map(|message| (*message).to_owned()).unwrap_or_default(),
    }
}

#[tokio::test(start_paused = true)]
async fn runs_in_background_mode_wait_for_each_report_and_a_wrong_status_shows_the_report() {
    let database = ScriptedCheck::new([Step::up(), Step::down("connection refused")]);
    let monitor = Monitor::builder(Scripted { database: database.clone(), heart: ScriptedCheck::new([]) }, ())
        .refresh_every(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut runs = Runs::new(&monitor);
    let started = Instant::now();
    runs.expect(&Subject::Overall, [Status::Up, Status::Down, Status::Down]).await;
    // The first report at once, then one every 5 s, on the paused clock.
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    database.then([Step::up()]);
    assert_eq!(runs.until(&Subject::group("readiness"), Status::Up, 3).await, 1);

    database.then([Step::down("connection refused")]);
    let message = panic_message(async move { runs.expect(&Subject::component("database"), [Status::Up]).await }).await;
    assert!(message.starts_with("after run 5, component `database` is DOWN, not UP"), "{message}");
    assert!(message.contains("\"message\": \"connection refused\""), "the whole report: {message}");
}

#[tokio::test(start_paused = true)]
async fn runs_on_request_space_their_reads_on_the_clock() {
    let monitor = Monitor::new(Scripted { database: ScriptedCheck::new([]), heart: ScriptedCheck::new([]) }, ());
    let mut runs = Runs::new(&monitor).every(Duration::from_secs(30));
    let started = Instant::now();
    runs.expect(&Subject::Overall, [Status::Up; 3]).await;
    assert_eq!((started.elapsed(), runs.count()), (Duration::from_secs(60), 3));
    let message = panic_message(async move {
        runs.until(&Subject::Overall, Status::Down, 2).await;
    })
    .await;
    assert!(message.starts_with("overall is still UP after 2 runs, not DOWN"), "{message}");
}

/// `service` served on an ephemeral port.
async fn served(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

#[tokio::test]
async fn a_served_address_a_router_and_a_monitor_answer_the_same_under_64_concurrent_reads() {
    let database = ScriptedCheck::new([Step::down("connection refused")]);
    let monitor = Monitor::new(Scripted { database, heart: ScriptedCheck::new([]) }, ());
    let service = health_core::http::HealthService::builder(monitor.clone())
        .visibility(health_core::http::Visibility::Always)
        .build()
        .unwrap();
    let address = served(service.router()).await;
    let clients = [
        HealthClient::monitor(&monitor).unwrap(),
        HealthClient::service(service.router()),
        HealthClient::service(service.clone()),
        HealthClient::address(address),
    ];
    for client in clients {
        let reads: Vec<_> = (0..64)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client.expect(Subject::group("readiness"), 503, Status::Down).await;
                    client.expect(Subject::group("liveness"), 200, Status::Up).await;
                    client.expect(Subject::component("heart"), 200, Status::Up).await.code()
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), 200, "{client:?}");
        }
        let reply = client.get("/health").await.unwrap();
        assert_eq!((reply.code(), reply.component("database")), (503, Some(Status::Down)));
    }
}

#[tokio::test]
async fn a_failed_expectation_says_what_was_answered_and_shows_the_whole_report() {
    let database = ScriptedCheck::new([Step::down("connection refused")]);
    let monitor = Monitor::new(Scripted { database, heart: ScriptedCheck::new([]) }, ());
    let client = HealthClient::monitor(&monitor).unwrap();
    let message = panic_message(async move {
        client.expect("/health/ready", 200, Status::Up).await;
    })
    .await;
    assert!(message.starts_with("GET /health/ready answered 503 DOWN, expected 200 UP"), "{message}");
    assert!(message.contains("the whole report (GET /health, 503 DOWN)"), "{message}");
    assert!(message.contains("connection refused"), "{message}");

    // A hung server: no answer within the client's timeout.
    let silent = SilentServer::start().await.unwrap();
    let hung = HealthClient::address(silent.address()).timeout(Duration::from_millis(200));
    let error = hung.get("/health").await.unwrap_err();
    assert_eq!(error.to_string(), "GET /health: no answer within 200ms");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let error = HealthClient::address(closed).get("/health").await.unwrap_err();
    assert!(error.to_string().starts_with("GET /health: no answer: cannot connect"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_wait_returns_at_the_report_that_changes_the_answer_and_fails_loudly_at_its_bound() {
    let database = ScriptedCheck::new([Step::up()]);
    let monitor = Monitor::builder(Scripted { database: database.clone(), heart: ScriptedCheck::new([]) }, ())
        .refresh_every(Duration::from_secs(1))
        .build()
        .unwrap();
    let client = HealthClient::monitor(&monitor).unwrap();
    client.wait_for("/health/ready", 200, Status::Up, Within::Reports(1)).await;

    // The database hangs: DOWN by the check's 1 s timeout, at the next report.
    let started = Instant::now();
    database.then([Step::hangs()]);
    client.wait_for("/health/ready", 503, Status::Down, Within::Time(Duration::from_millis(2500))).await;
    let took = started.elapsed();
    assert!(took <= Duration::from_secs(2), "returned at the report that changed it: {took:?}");

    // It never comes back: the wait fails at its bound, saying so.
    let waiting = client.clone();
    let started = Instant::now();
    let message = panic_message(async move {
        waiting.wait_for("/health/ready", 200, Status::Up, Within::Time(Duration::from_secs(3))).await;
    })
    .await;
    assert!(message.starts_with("GET /health/ready answered 503 DOWN, expected 200 UP, after waiting"), "{message}");
    assert!(message.contains("for at most 3s"), "{message}");
    assert!(started.elapsed() >= Duration::from_secs(3), "{:?}", started.elapsed());
    let message = panic_message(async move {
        client.wait_for("/health/ready", 200, Status::Up, Within::Reports(2)).await;
    })
    .await;
    assert!(message.contains("2 new reports) for at most 2 reports"), "{message}");

    // A read that hangs is cut at the bound too.
    let silent = SilentServer::start().await.unwrap();
    let hung = HealthClient::address(silent.address());
    let started = Instant::now();
    let message = panic_message(async move {
        hung.wait_for("/health/ready", 200, Status::Up, Within::Time(Duration::from_millis(300))).await;
    })
    .await;
    assert!(message.starts_with("GET /health/ready: no answer before the bound, expected 200 UP"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());

    let uncounted = HealthClient::service(health_core::http::HealthService::builder(monitor).build().unwrap());
    let message = panic_message(async move {
        uncounted.wait_for("/health/ready", 200, Status::Up, Within::Reports(1)).await;
    })
    .await;
    assert!(message.starts_with("Within::Reports counts a monitor's reports"), "{message}");
}
