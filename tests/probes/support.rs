//! What the probe tests share: skipping without a server, unreachable
//! addresses, servers of their own, and running a probe as a report does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_core::testing::{Direction, FaultProxy, Tap};
use health_core::{Check, CheckOptions, Registry, Report, Status};

/// The value of `variable`, or `None` after printing why the test is skipped.
pub fn url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skipped(&format!("{variable} is not set; set it to run this test against a real server"));
            None
        }
    }
}

/// `Some(binary)` when it is installed, else `None` after saying so.
pub fn binary(name: &str) -> Option<&str> {
    let found = Command::new("sh").args(["-c", &format!("command -v {name}")]).output();
    if found.is_ok_and(|output| output.status.success()) {
        Some(name)
    } else {
        skipped(&format!("{name} is not installed"));
        None
    }
}

/// Says a test is skipped, past the test harness's capture of `eprintln!`,
/// so that a skip shows in every run.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A free port, for a server of the test's own.
pub fn free_port() -> u16 {
    closed_port()
}

/// One check in a registry, run the way every report runs it: under its
/// timeout, DOWN on timeout or panic, the message redacted.
pub async fn report_of<C: Check<()> + 'static>(check: C, timeout: Duration) -> Report<health_core::DynamicComponents> {
    registry_of(check, timeout).report(&()).await
}

/// A registry of the one check, named `probe`.
pub fn registry_of<C: Check<()> + 'static>(check: C, timeout: Duration) -> Registry {
    let mut registry = Registry::new();
    registry.register_with("probe", check, CheckOptions::new().timeout(timeout)).unwrap();
    registry
}

/// The status and message of the component `probe` in one read of `monitor`.
pub async fn read_once(monitor: &health_core::monitor::Monitor<Registry>) -> (Status, String) {
    let subject = health_core::monitor::Subject::component("probe");
    let reading = monitor.read(&subject, health_core::report::Selection::none()).await.unwrap();
    let component = reading.snapshot().unwrap().report().components.get("probe").unwrap().clone();
    (component.status, component.message.unwrap_or_default().into_owned())
}

/// What 64 concurrent reads of the component `probe` of `monitor` answer,
/// each from a task of its own.
pub async fn read_concurrently(monitor: &health_core::monitor::Monitor<Registry>) -> Vec<(Status, String)> {
    let readers: Vec<_> = (0..64)
        .map(|_| {
            let monitor = monitor.clone();
            tokio::spawn(async move { read_once(&monitor).await })
        })
        .collect();
    let mut answers = Vec::new();
    for reader in readers {
        answers.push(reader.await.unwrap());
    }
    answers
}

/// The status and message of the single component of `report`.
pub fn verdict(report: &Report<health_core::DynamicComponents>) -> (Status, String) {
    let component = report.components.get("probe").unwrap();
    (component.status, component.message.as_deref().unwrap_or_default().to_owned())
}

/// A process killed when dropped, even if the test panics.
pub struct Server {
    child: Option<Child>,
    command: Vec<String>,
}

impl Server {
    /// Starts `program` with `args`; `None` if it cannot be started.
    pub fn start(program: &str, args: &[String]) -> Option<Server> {
        let mut command = vec![program.to_owned()];
        command.extend(args.iter().cloned());
        let mut server = Server { child: None, command };
        server.restart().then_some(server)
    }

    /// Kills the process.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts the process again with the same arguments.
    pub fn restart(&mut self) -> bool {
        self.stop();
        let child =
            Command::new(&self.command[0]).args(&self.command[1..]).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        self.child = child.ok();
        self.child.is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `address` accepts connections, for at most ten seconds.
pub async fn wait_for(address: SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {address} after 10 s");
}

/// A fresh directory under the target directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("health-probe-{name}-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The details of the single component of `report`.
pub fn details(report: &Report<health_core::DynamicComponents>) -> serde_json::Value {
    report.components.get("probe").unwrap().details.clone().unwrap()
}

/// Asserts that `secret` appears nowhere in the report's JSON.
pub fn assert_secret_absent(report: &Report<health_core::DynamicComponents>, secret: &str) {
    let json = serde_json::to_string(report).unwrap();
    assert!(!json.contains(secret), "the secret {secret:?} leaked into {json}");
}

/// How [`Traffic`] counts the requests in what a client writes.
#[derive(Debug, Clone, Copy)]
pub enum Requests {
    /// Each write is one request.
    Writes,
    /// Redis commands (RESP arrays of bulk strings), however many a write holds.
    Resp,
    /// NATS messages published (`PUB`, `HPUB`), however many a write holds.
    NatsPublish,
}

impl Requests {
    fn count(self, written: &[u8]) -> usize {
        match self {
            Requests::Writes => 1,
            Requests::Resp => resp_commands(written).max(1),
            Requests::NatsPublish => written
                .split(|byte| *byte == b'\n')
                .filter(|line| line.starts_with(b"PUB ") || line.starts_with(b"HPUB "))
                .count(),
        }
    }
}

/// How many whole RESP commands `bytes` holds: `*<n>\r\n` then `n` bulk
/// strings `$<len>\r\n<bytes>\r\n`.
fn resp_commands(bytes: &[u8]) -> usize {
    fn number(bytes: &[u8], at: &mut usize, marker: u8) -> Option<usize> {
        if bytes.get(*at) != Some(&marker) {
            return None;
        }
        let end = *at + bytes[*at..].windows(2).position(|pair| pair == b"\r\n")?;
        let value = std::str::from_utf8(&bytes[*at + 1..end]).ok()?.parse().ok()?;
        *at = end + 2;
        Some(value)
    }
    let (mut at, mut commands) = (0, 0);
    while at < bytes.len() {
        let Some(parts) = number(bytes, &mut at, b'*') else { break };
        for _ in 0..parts {
            let Some(len) = number(bytes, &mut at, b'$') else { return commands };
            at += len + 2;
        }
        commands += 1;
    }
    commands
}

/// What crossed a [`FaultProxy`]: requests the server has not answered yet,
/// with the most at once. A request is what a client sends on a connection;
/// the server's next bytes on it answer every request sent on it before.
pub struct Traffic {
    requests: Requests,
    /// Requests unanswered, by connection.
    unanswered: Mutex<HashMap<u64, usize>>,
    in_flight: AtomicUsize,
    most: AtomicUsize,
    sent: AtomicUsize,
}

impl Traffic {
    /// The most requests the server had unanswered at once since the last
    /// call, and how many were sent; starts counting anew.
    pub fn take_most_in_flight(&self) -> (usize, usize) {
        let now = self.in_flight.load(Ordering::SeqCst);
        (self.most.swap(now, Ordering::SeqCst), self.sent.swap(0, Ordering::SeqCst))
    }

    fn answered(&self, connection: u64) {
        let answered = self.unanswered.lock().unwrap().remove(&connection).unwrap_or(0);
        self.in_flight.fetch_sub(answered, Ordering::SeqCst);
    }
}

/// A proxy's tap counting its [`Traffic`].
struct Counting(Arc<Traffic>);

impl Tap for Counting {
    fn forwarded(&self, connection: u64, direction: Direction, bytes: &[u8]) {
        let traffic = &self.0;
        match direction {
            Direction::ToUpstream => {
                let count = traffic.requests.count(bytes);
                *traffic.unanswered.lock().unwrap().entry(connection).or_default() += count;
                traffic.sent.fetch_add(count, Ordering::SeqCst);
                let in_flight = traffic.in_flight.fetch_add(count, Ordering::SeqCst) + count;
                traffic.most.fetch_max(in_flight, Ordering::SeqCst);
            }
            _ => traffic.answered(connection),
        }
    }

    fn closed(&self, connection: u64) {
        self.0.answered(connection);
    }
}

/// A proxy in front of `upstream`, counting its requests as `requests` says.
pub async fn counting_proxy(upstream: SocketAddr, requests: Requests) -> (FaultProxy, Arc<Traffic>) {
    let traffic = Arc::new(Traffic {
        requests,
        unanswered: Mutex::new(HashMap::new()),
        in_flight: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
        sent: AtomicUsize::new(0),
    });
    let proxy = FaultProxy::builder(upstream).tap(Counting(Arc::clone(&traffic))).start().await.unwrap();
    (proxy, traffic)
}
