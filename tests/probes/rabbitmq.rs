//! RabbitMQ through `lapin`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::rabbitmq::ConnectionCheck;

use crate::support::{Mode, Relay, details, report_of, url, verdict};

/// The tests here share one broker, and one of them raises an alarm on it.
pub(crate) static BROKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn connect(url: &str) -> Arc<lapin::Connection> {
    Arc::new(lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await.unwrap())
}

/// The broker's address, from `amqp://user:password@host:port/vhost`.
fn address(url: &str) -> std::net::SocketAddr {
    let authority = url.rsplit('@').next().unwrap().split('/').next().unwrap();
    authority.parse().unwrap()
}

#[tokio::test]
async fn an_open_connection_is_up_and_a_closed_one_down() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let report = report_of(ConnectionCheck::new(connection.clone()), Duration::from_secs(2)).await;
    assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
    let details = details(&report);
    assert_eq!(details["state"], "connected");
    assert_eq!(details["blocked"], false);
    assert_eq!(details["vhost"], "/");
    assert!(details["channel_max"].as_u64().unwrap() > 0);

    connection.close(200, "done".into()).await.unwrap();
    let report = report_of(ConnectionCheck::new(connection), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("closed"), "{message}");
}

/// How many channels the broker has open; `None` without `rabbitmqctl`.
fn open_channels() -> Option<usize> {
    let output = std::process::Command::new("rabbitmqctl").args(["-q", "list_channels", "pid"]).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).lines().filter(|line| line.contains('<')).count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_runs_leave_no_channel_open() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let Some(before) = open_channels() else {
        crate::support::skipped("rabbitmqctl cannot list this broker's channels");
        return;
    };
    let registry = crate::support::registry_of(ConnectionCheck::new(connection.clone()), health_core::DEFAULT_TIMEOUT);
    for _ in 0..1000 {
        assert_eq!(registry.report(&()).await.status, Status::Up);
    }
    assert_eq!(open_channels(), Some(before), "channels left open by the probe");
}

#[tokio::test]
async fn a_silent_broker_is_down_within_the_timeout_and_a_lost_one_down_at_once() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let relay = Relay::start(address(&url)).await;
    let relayed = url.replace(&address(&url).to_string(), &relay.address.to_string());
    let connection = connect(&relayed).await;
    assert_eq!(
        verdict(&report_of(ConnectionCheck::new(connection.clone()), Duration::from_secs(2)).await).0,
        Status::Up
    );

    relay.set(Mode::Blackhole);
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let report = report_of(ConnectionCheck::new(connection.clone()), timeout).await;
    assert_eq!(verdict(&report).0, Status::Down);
    assert!(started.elapsed() < timeout * 3);

    relay.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = report_of(ConnectionCheck::new(connection), timeout).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("the connection is"), "{message}");
}

#[tokio::test]
async fn a_slow_broker_is_degraded() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let relay = Relay::start(address(&url)).await;
    let connection = connect(&url.replace(&address(&url).to_string(), &relay.address.to_string())).await;
    relay.set(Mode::Delay(Duration::from_millis(150)));
    let options = health_core::probe::rabbitmq::RabbitMqOptions::new().slow_after(Duration::from_millis(100));
    let report = report_of(ConnectionCheck::new(connection).with_options(options), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded, "{message}");
    assert!(message.contains("above the 100 ms threshold"), "{message}");
}

/// Runs `rabbitmqctl` with `args`; false if it is missing or fails.
fn rabbitmqctl(args: &[&str]) -> bool {
    std::process::Command::new("rabbitmqctl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Lowers the disk alarm back to RabbitMQ's default when dropped.
struct DiskAlarm;

impl Drop for DiskAlarm {
    fn drop(&mut self) {
        rabbitmqctl(&["set_disk_free_limit", "50MB"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_blocked_by_a_resource_alarm_is_degraded() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    if !rabbitmqctl(&["set_disk_free_limit", "100000GB"]) {
        crate::support::skipped("rabbitmqctl cannot raise a disk alarm on this broker");
        return;
    }
    let _restore = DiskAlarm;
    // RabbitMQ blocks a connection when it publishes during an alarm.
    let channel = connection.create_channel().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !connection.status().blocked() {
        assert!(Instant::now() < deadline, "the broker never blocked the connection");
        let _ = channel
            .basic_publish(
                "".into(),
                "health-probe-test-no-such-queue".into(),
                Default::default(),
                b"",
                Default::default(),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let report = report_of(ConnectionCheck::new(connection.clone()), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded, "{message}");
    assert!(message.contains("resource alarm"), "{message}");
    assert_eq!(details(&report)["blocked"], true);
}
