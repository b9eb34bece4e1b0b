//! NATS through `async_nats`: the same tests for each major the probe
//! takes, 0.52 and 0.50.

use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::nats::{ClientCheck, NatsOptions};

use health_core::testing::{Direction, FaultProxy};

use crate::support::{Server, binary, details, free_port, report_of, url, verdict, wait_for};

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
                let relay = FaultProxy::start(upstream).await.unwrap();
                let client = connect(&format!("nats://{}", relay.address())).await;

                relay.latency(Direction::Both, Duration::from_millis(150));
                let options = NatsOptions::new().slow_after(Duration::from_millis(100));
                let report =
                    report_of(ClientCheck::new(client.clone()).with_options(options), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded, "{message}");
                assert!(message.contains("above the 100 ms threshold"), "{message}");

                relay.blackhole();
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

/// The JetStream consumer probe, against the `Client` of the crate `$nats`,
/// on a stream and a consumer each test creates in memory and deletes.
macro_rules! consumer_tests_for {
    ($major:ident, $nats:ident) => {
        mod $major {
            use health_core::Status;
            use health_core::probe::nats::{self, ConsumerCheck, ConsumerOptions};

            use crate::support::{details, free_port, report_of, url, verdict};
            use std::time::Duration;

            /// A JetStream API request; its JSON answer.
            async fn api(client: &$nats::Client, subject: String, body: serde_json::Value) -> serde_json::Value {
                let answer = client.request(subject, body.to_string().into()).await.unwrap();
                serde_json::from_slice(&answer.payload).unwrap()
            }

            /// A stream in memory on `<name>.>` with a durable consumer of it.
            struct Stream {
                client: $nats::Client,
                name: String,
            }

            impl Stream {
                async fn create(client: &$nats::Client) -> Option<Stream> {
                    let name = format!("HEALTH_{}_{}", std::process::id(), free_port());
                    let created = api(
                        client,
                        format!("$JS.API.STREAM.CREATE.{name}"),
                        serde_json::json!({ "name": name, "subjects": [format!("{name}.>")], "storage": "memory" }),
                    )
                    .await;
                    if created.get("error").is_some() {
                        crate::support::skipped(&format!("JetStream refused a stream: {created}"));
                        return None;
                    }
                    let consumer = api(
                        client,
                        format!("$JS.API.CONSUMER.DURABLE.CREATE.{name}.worker"),
                        serde_json::json!({ "stream_name": name, "config": { "durable_name": "worker", "ack_policy": "explicit" } }),
                    )
                    .await;
                    assert!(consumer.get("error").is_none(), "{consumer}");
                    Some(Stream { client: client.clone(), name })
                }

                /// Publishes `count` messages, each stored before the next.
                async fn publish(&self, count: usize) {
                    for _ in 0..count {
                        let ack = self.client.request(format!("{}.orders", self.name), "order".into()).await.unwrap();
                        assert!(String::from_utf8_lossy(&ack.payload).contains("\"seq\""), "not stored");
                    }
                }

                async fn delete(self) {
                    let deleted = api(&self.client, format!("$JS.API.STREAM.DELETE.{}", self.name), serde_json::json!({})).await;
                    assert_eq!(deleted["success"], true, "{deleted}");
                }

                /// Takes one message for the consumer, without acknowledging it.
                async fn take_one(&self) {
                    let subject = format!("$JS.API.CONSUMER.MSG.NEXT.{}.worker", self.name);
                    let inbox = self.client.new_inbox();
                    let mut delivered = self.client.subscribe(inbox.clone()).await.unwrap();
                    self.client.publish_with_reply(subject, inbox, r#"{"batch":1}"#.into()).await.unwrap();
                    let message = tokio::time::timeout(Duration::from_secs(5), tokio_stream::StreamExt::next(&mut delivered)).await;
                    assert!(matches!(message, Ok(Some(_))), "no message delivered");

                }
            }

            async fn connect(url: &str) -> $nats::Client {
                $nats::connect(url).await.unwrap()
            }

            #[tokio::test]
            async fn a_consumers_backlog_crosses_each_threshold() {
                let Some(url) = url("NATS_URL") else { return };
                let client = connect(&url).await;
                let Some(stream) = Stream::create(&client).await else { return };
                let check = |options: ConsumerOptions| {
                    ConsumerCheck::new(client.clone(), stream.name.clone(), "worker").with_options(options)
                };
                let report = report_of(check(ConsumerOptions::new()), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                assert_eq!(details(&report)["pending"], 0);

                stream.publish(5).await;
                let report = report_of(check(ConsumerOptions::new()), Duration::from_secs(2)).await;
                let figures = details(&report);
                assert_eq!((figures["pending"].as_u64(), figures["ack_pending"].as_u64()), (Some(5), Some(0)), "{figures}");
                assert_eq!(figures["stream"], stream.name.as_str());
                let options = ConsumerOptions::new().pending_degraded_above(4);
                let report = report_of(check(options), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report), (Status::Degraded, "5 messages pending, above 4".to_owned()));
                let options = ConsumerOptions::new().pending_degraded_above(1).pending_down_above(4);
                let report = report_of(check(options), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report), (Status::Down, "5 messages pending, above 4".to_owned()));

                stream.take_one().await;
                let report = report_of(check(ConsumerOptions::new()), Duration::from_secs(2)).await;
                let figures = details(&report);
                assert_eq!((figures["pending"].as_u64(), figures["ack_pending"].as_u64()), (Some(4), Some(1)), "{figures}");
                let options = ConsumerOptions::new().ack_pending_degraded_above(0);
                let report = report_of(check(options), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report), (Status::Degraded, "1 messages awaiting acknowledgement, above 0".to_owned()));
                stream.delete().await;
            }

            #[tokio::test]
            async fn a_missing_consumer_or_stream_is_down_and_named() {
                let Some(url) = url("NATS_URL") else { return };
                let client = connect(&url).await;
                let Some(stream) = Stream::create(&client).await else { return };
                let missing = nats::consumer(&client, &stream.name, "nobody").await;
                assert_eq!(missing.status(), Status::Down);
                let message = missing.message().unwrap();
                assert!(message.starts_with(&format!("consumer nobody of stream {}: ", stream.name)), "{message}");
                assert!(message.contains("not found") && message.ends_with("(404)"), "{message}");
                let no_stream = nats::consumer(&client, "NO_SUCH_STREAM_EVER", "worker").await;
                assert_eq!(no_stream.status(), Status::Down);
                let dotted = nats::consumer(&client, "A.B", "worker").await;
                assert_eq!(dotted.message(), Some("consumer worker of stream A.B: not a valid stream or consumer name"));
                stream.delete().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sixty_four_concurrent_reads_answer_as_one() {
                let Some(url) = url("NATS_URL") else { return };
                let client = connect(&url).await;
                let Some(stream) = Stream::create(&client).await else { return };
                stream.publish(3).await;
                let check = ConsumerCheck::new(client.clone(), stream.name.clone(), "worker")
                    .with_options(ConsumerOptions::new().pending_degraded_above(2));
                let monitor = health_core::monitor::Monitor::new(crate::support::registry_of(check, Duration::from_secs(2)), ());
                for answer in crate::support::read_concurrently(&monitor).await {
                    assert_eq!(answer, (Status::Degraded, "3 messages pending, above 2".to_owned()));
                }
                stream.delete().await;
            }
        }
    };
}

mod consumer {
    consumer_tests_for!(current, async_nats);
    consumer_tests_for!(previous, async_nats_0_50);
}
