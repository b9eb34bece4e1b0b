//! NATS through `async_nats`: the same tests for each major the probe
//! takes, 0.52 and 0.50.

use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::nats::{ClientCheck, NatsOptions};

use crate::support::{Mode, Relay, Server, binary, details, free_port, report_of, url, verdict, wait_for};

/// Counts from the server's monitoring endpoint.
async fn varz(monitor: u16, field: &str) -> u64 {
    let body = reqwest::get(format!("http://127.0.0.1:{monitor}/varz")).await.unwrap().text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json[field].as_u64().unwrap()
}

/// The tests, against the `Client` of the crate `$nats`.
macro_rules! tests_for {
    ($major:ident, $nats:ident) => {
        mod $major {
            use super::*;

            /// Reconnects every 100 ms, so a restarted server is found quickly.
            async fn connect(url: &str) -> $nats::Client {
                $nats::ConnectOptions::new()
                    .reconnect_delay_callback(|_| Duration::from_millis(100))
                    .connect(url)
                    .await
                    .unwrap()
            }

            #[tokio::test]
            async fn a_connected_client_is_up_with_the_servers_version() {
                let Some(url) = url("NATS_URL") else { return };
                let client = connect(&url).await;
                let report = report_of(ClientCheck::new(client), Duration::from_secs(1)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                let details = details(&report);
                assert_eq!(details["state"], "connected");
                assert!(details["rtt_ms"].as_f64().unwrap() > 0.0);
                if binary("nats-server").is_some() {
                    let printed = std::process::Command::new("nats-server").arg("--version").output().unwrap();
                    let printed = String::from_utf8_lossy(&printed.stdout);
                    let version = details["server_version"].as_str().unwrap();
                    assert!(printed.contains(&format!("v{version}")), "{version} is not in {printed}");
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_same_client_survives_a_restart_and_leaves_nothing_behind_over_1000_reports() {
                let (port, monitor) = (free_port(), free_port());
                let Some(_) = binary("nats-server") else { return };
                let args = ["-a", "127.0.0.1", "-p", &port.to_string(), "-m", &monitor.to_string()].map(String::from);
                let mut server = Server::start("nats-server", &args).unwrap();
                let address = format!("127.0.0.1:{port}").parse().unwrap();
                wait_for(address).await;
                let client = connect(&format!("nats://127.0.0.1:{port}")).await;
                let check = || ClientCheck::new(client.clone());
                assert_eq!(verdict(&report_of(check(), Duration::from_secs(1)).await).0, Status::Up);

                server.stop();
                let started = Instant::now();
                let report = report_of(check(), Duration::from_millis(500)).await;
                assert_eq!(verdict(&report).0, Status::Down, "{:?}", verdict(&report));
                assert!(started.elapsed() < Duration::from_millis(1500));

                server.restart();
                wait_for(address).await;
                let first = verdict(&report_of(check(), Duration::from_secs(1)).await).0;
                tokio::time::sleep(Duration::from_millis(500)).await;
                let second = verdict(&report_of(check(), Duration::from_secs(1)).await).0;
                assert!(
                    first == Status::Up || second == Status::Up,
                    "not UP within two reports: {first:?}, {second:?}"
                );

                wait_for(format!("127.0.0.1:{monitor}").parse().unwrap()).await;
                let connections = super::varz(monitor, "total_connections").await;
                let subscriptions = super::varz(monitor, "subscriptions").await;
                let registry = crate::support::registry_of(check(), health_core::DEFAULT_TIMEOUT);
                for _ in 0..1000 {
                    assert_eq!(registry.report(&()).await.status, Status::Up);
                }
                assert_eq!(
                    super::varz(monitor, "total_connections").await,
                    connections,
                    "the probe opened connections"
                );
                // The last run's unsubscription travels on its own: wait for it a little.
                let deadline = Instant::now() + Duration::from_secs(5);
                while super::varz(monitor, "subscriptions").await != subscriptions {
                    assert!(Instant::now() < deadline, "the probe's inboxes stay subscribed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }

            #[tokio::test]
            async fn a_silent_server_is_down_within_the_timeout_and_a_slow_one_degraded() {
                let Some(url) = url("NATS_URL") else { return };
                let upstream = url.trim_start_matches("nats://").parse().unwrap();
                let relay = Relay::start(upstream).await;
                let client = connect(&format!("nats://{}", relay.address)).await;

                relay.set(Mode::Delay(Duration::from_millis(150)));
                let options = NatsOptions::new().slow_after(Duration::from_millis(100));
                let report =
                    report_of(ClientCheck::new(client.clone()).with_options(options), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded, "{message}");
                assert!(message.contains("above the 100 ms threshold"), "{message}");

                relay.set(Mode::Blackhole);
                let timeout = Duration::from_millis(500);
                let started = Instant::now();
                assert_eq!(verdict(&report_of(ClientCheck::new(client), timeout).await).0, Status::Down);
                assert!(started.elapsed() < timeout * 3);
            }
        }
    };
}

tests_for!(current, async_nats);
tests_for!(previous, async_nats_0_50);
