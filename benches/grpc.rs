//! gRPC `Check` throughput: this crate's service over a monitor refreshing in
//! the background, against tonic-health's `HealthReporter` serving the same
//! statuses, measured in the same run by one load client; and the service
//! over a monitor running the checks on each `Check`, recorded beside them.
//!
//! Run with `cargo bench --bench grpc`. The servers share one runtime thread
//! and the load client has another; batches of each server alternate, and
//! which goes first alternates by round. `GRPC_BENCH_ROUNDS` (default 15) and
//! `GRPC_BENCH_BATCH_MS` (default 1000) set the rounds and the batch length,
//! `GRPC_BENCH_CONCURRENCY` (default 32) the requests in flight.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use health_core::grpc::GrpcHealthService;
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use tokio::runtime::{Builder, Runtime};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus as Wire;
use tonic_health::pb::health_client::HealthClient;

macro_rules! trivial_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s", critical)]
        async fn $name() {}
    )*};
}

trivial_checks!(database, cache, broker, search, storage, queue, mail, payments);

/// Eight checks that answer at once: what the transport costs shows.
#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
    cache: CacheCheck,
    broker: BrokerCheck,
    search: SearchCheck,
    storage: StorageCheck,
    queue: QueueCheck,
    mail: MailCheck,
    payments: PaymentsCheck,
}

/// The name every server answers for.
const SERVICE: &str = "readiness";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

async fn bind() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    (listener, address)
}

/// The three servers, on `runtime`: (name, address).
fn servers(runtime: &Runtime) -> Vec<(&'static str, SocketAddr)> {
    runtime.block_on(async {
        let (reporter, tonic_health_service) = tonic_health::server::health_reporter();
        reporter.set_service_status(SERVICE, ServingStatus::Serving).await;
        let (listener, baseline) = bind().await;
        tokio::spawn(
            Server::builder().add_service(tonic_health_service).serve_with_incoming(TcpListenerStream::new(listener)),
        );

        let background = Monitor::builder(Health::default(), ()).refresh_every(Duration::from_secs(1)).build().unwrap();
        let mut first = background.watch(&health_core::monitor::Subject::Overall).unwrap();
        first.wait_for(|status| status.is_some()).await.unwrap();
        let ours = GrpcHealthService::builder(background).build().unwrap();
        let (listener, background) = bind().await;
        tokio::spawn(
            Server::builder().add_service(ours.server()).serve_with_incoming(TcpListenerStream::new(listener)),
        );

        let on_request = GrpcHealthService::builder(Monitor::new(Health::default(), ())).build().unwrap();
        let (listener, on_request_address) = bind().await;
        tokio::spawn(
            Server::builder().add_service(on_request.server()).serve_with_incoming(TcpListenerStream::new(listener)),
        );
        vec![
            ("tonic-health HealthReporter", baseline),
            ("health-core, background", background),
            ("health-core, on request", on_request_address),
        ]
    })
}

/// One batch: `concurrency` loops calling `Check` for `length`; the
/// requests completed and each one's latency.
async fn batch(client: &HealthClient<Channel>, concurrency: u64, length: Duration) -> Vec<Duration> {
    let until = Instant::now() + length;
    let mut loops = Vec::new();
    for _ in 0..concurrency {
        let mut client = client.clone();
        loops.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let response = client.check(HealthCheckRequest { service: SERVICE.into() }).await.expect("an answer");
                assert_eq!(response.get_ref().status, Wire::Serving as i32);
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for handle in loops {
        all.extend(handle.await.expect("a load loop"));
    }
    all
}

#[derive(Default)]
struct Measured {
    requests: usize,
    latencies: Vec<Duration>,
    /// Requests per second of each batch.
    rates: Vec<f64>,
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo test --benches` runs benchmarks once as tests: nothing to measure then.
    if std::env::args().any(|argument| argument == "--test") {
        return;
    }
    let rounds = setting("GRPC_BENCH_ROUNDS", 15) as usize;
    let length = Duration::from_millis(setting("GRPC_BENCH_BATCH_MS", 1000));
    let concurrency = setting("GRPC_BENCH_CONCURRENCY", 32);
    let server_runtime = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let client_runtime = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let servers = servers(&server_runtime);
    let clients: Vec<HealthClient<Channel>> = client_runtime.block_on(async {
        let mut clients = Vec::new();
        for (_, address) in &servers {
            let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
            clients.push(HealthClient::new(channel));
        }
        clients
    });
    let mut measured: Vec<Measured> = servers.iter().map(|_| Measured::default()).collect();
    // Warm-up: connections, allocator, caches.
    for client in &clients {
        client_runtime.block_on(batch(client, concurrency, Duration::from_millis(300)));
    }
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..servers.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let started = Instant::now();
            let latencies = client_runtime.block_on(batch(&clients[index], concurrency, length));
            let time = started.elapsed();
            let entry = &mut measured[index];
            entry.rates.push(latencies.len() as f64 / time.as_secs_f64());
            entry.requests += latencies.len();
            entry.latencies.extend(latencies);
        }
    }
    println!(
        "gRPC Check of `{SERVICE}`, {concurrency} in flight on one connection, {rounds} rounds of {} ms per server",
        length.as_millis()
    );
    println!("| server | requests/s (median batch) | p50 | p99 | requests |");
    println!("|---|---|---|---|---|");
    for ((name, _), entry) in servers.iter().zip(&mut measured) {
        entry.latencies.sort();
        println!(
            "| {name} | {:.0} | {:?} | {:?} | {} |",
            median(entry.rates.clone()),
            percentile(&entry.latencies, 0.5),
            percentile(&entry.latencies, 0.99),
            entry.requests
        );
    }
    // Each round measures every server back to back: the ratio within a round
    // is immune to the machine's drift between rounds.
    for (index, (name, _)) in servers.iter().enumerate().skip(1) {
        let ratios = measured[index].rates.iter().zip(&measured[0].rates).map(|(ours, baseline)| ours / baseline);
        let ratios: Vec<f64> = ratios.collect();
        let shown: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:.3}")).collect();
        println!("{name} / baseline: median {:.3} (rounds: {})", median(ratios), shown.join(", "));
    }
}
