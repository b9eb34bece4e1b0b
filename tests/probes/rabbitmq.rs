//! RabbitMQ through `lapin`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::rabbitmq::{self, ConnectionCheck, QueueCheck, QueueOptions};

use health_core::testing::{Close, Direction, FaultProxy};

use crate::support::{details, report_of, url, verdict};

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
    let relay = FaultProxy::start(address(&url)).await.unwrap();
    let relayed = relay.url(&url);
    let connection = connect(&relayed).await;
    assert_eq!(
        verdict(&report_of(ConnectionCheck::new(connection.clone()), Duration::from_secs(2)).await).0,
        Status::Up
    );

    relay.blackhole();
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let report = report_of(ConnectionCheck::new(connection.clone()), timeout).await;
    assert_eq!(verdict(&report).0, Status::Down);
    assert!(started.elapsed() < timeout * 3);

    relay.cut(Close::Fin);
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
    let relay = FaultProxy::start(address(&url)).await.unwrap();
    let connection = connect(&relay.url(&url)).await;
    relay.latency(Direction::Both, Duration::from_millis(150));
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

/// A queue of the test's own, deleted when dropped.
struct TestQueue {
    connection: Arc<lapin::Connection>,
    name: String,
}

impl TestQueue {
    async fn declare(connection: &Arc<lapin::Connection>) -> TestQueue {
        let name = format!("health-probe-queue-{}-{}", std::process::id(), crate::support::free_port());
        let channel = connection.create_channel().await.unwrap();
        channel
            .queue_declare(name.as_str().into(), lapin::options::QueueDeclareOptions::default(), Default::default())
            .await
            .unwrap();
        channel.close(200, "declared".into()).await.unwrap();
        TestQueue { connection: connection.clone(), name }
    }

    /// Publishes `count` messages, confirmed by the broker.
    async fn publish(&self, count: usize) {
        let channel = self.connection.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        for _ in 0..count {
            let options = lapin::options::BasicPublishOptions::default();
            let properties = lapin::BasicProperties::default();
            channel
                .basic_publish("".into(), self.name.as_str().into(), options, b"work", properties)
                .await
                .unwrap()
                .await
                .unwrap();
        }
        channel.close(200, "published".into()).await.unwrap();
    }

    async fn delete(self) {
        let channel = self.connection.create_channel().await.unwrap();
        let _ = channel.queue_delete(self.name.as_str().into(), Default::default()).await;
        let _ = channel.close(200, "deleted".into()).await;
    }
}

async fn queue_verdict(check: QueueCheck) -> (Status, String, serde_json::Value) {
    let report = report_of(check, Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    (status, message, details(&report))
}

#[tokio::test]
async fn a_queues_depth_and_consumers_cross_each_threshold() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let queue = TestQueue::declare(&connection).await;
    queue.publish(5).await;
    let check = |options: QueueOptions| QueueCheck::new(connection.clone(), queue.name.clone()).with_options(options);

    let (status, message, details) = queue_verdict(check(QueueOptions::new())).await;
    assert_eq!(details["queue"], queue.name.as_str());
    assert_eq!(details["messages_ready"], 5);
    assert_eq!(details["consumers"], 0);
    assert_eq!((status, message.as_str()), (Status::Degraded, "0 consumers, fewer than 1"));
    assert_eq!(queue_verdict(check(QueueOptions::new().min_consumers(0))).await.0, Status::Up);
    let (status, message, _) = queue_verdict(check(QueueOptions::new().min_consumers(0).degraded_above(4))).await;
    assert_eq!((status, message.as_str()), (Status::Degraded, "5 messages ready, above 4"));
    let (status, message, _) = queue_verdict(check(QueueOptions::new().degraded_above(1).down_above(4))).await;
    assert_eq!((status, message.as_str()), (Status::Down, "5 messages ready, above 4"));

    // A consumer: UP with the default options.
    let consuming = connection.create_channel().await.unwrap();
    let _consumer = consuming
        .basic_consume(queue.name.as_str().into(), "probe-test".into(), Default::default(), Default::default())
        .await
        .unwrap();
    let (status, message, details) = queue_verdict(check(QueueOptions::new())).await;
    assert_eq!(details["consumers"], 1);
    assert_eq!(status, Status::Up, "{message}");
    consuming.close(200, "done".into()).await.unwrap();
    queue.delete().await;
}

#[tokio::test]
async fn a_missing_queue_is_down_and_is_not_created() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let name = format!("health-probe-missing-{}", std::process::id());
    let (status, message, _) = queue_verdict(QueueCheck::new(connection.clone(), name.clone())).await;
    assert_eq!(status, Status::Down);
    assert!(message.starts_with(&format!("cannot read queue {name}: ")) && message.contains("NOT_FOUND"), "{message}");
    // Still missing: the probe's declare was passive.
    let again = rabbitmq::queue(&connection, &name).await;
    assert_eq!(again.status(), Status::Down);
    let channel = connection.create_channel().await.unwrap();
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
    assert!(channel.queue_declare(name.as_str().into(), passive, Default::default()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_queue_reads_leave_no_channel_open() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let queue = TestQueue::declare(&connection).await;
    let Some(before) = open_channels() else {
        crate::support::skipped("rabbitmqctl cannot list this broker's channels");
        return;
    };
    let options = QueueOptions::new().min_consumers(0);
    let found = QueueCheck::new(connection.clone(), queue.name.clone()).with_options(options);
    let registry = crate::support::registry_of(found, health_core::DEFAULT_TIMEOUT);
    for _ in 0..1000 {
        assert_eq!(registry.report(&()).await.status, Status::Up);
    }
    let missing = QueueCheck::new(connection.clone(), format!("{}-missing", queue.name));
    let registry = crate::support::registry_of(missing, health_core::DEFAULT_TIMEOUT);
    for run in 0..100 {
        let report = registry.report(&()).await;
        assert_eq!(verdict(&report).0, Status::Down, "run {run}: {:?}", verdict(&report));
    }
    assert_eq!(open_channels(), Some(before), "channels left open by the queue probe");
    queue.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_queue_reads_answer_as_one() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = BROKER.lock().await;
    let connection = connect(&url).await;
    let queue = TestQueue::declare(&connection).await;
    queue.publish(3).await;
    let check = QueueCheck::new(connection.clone(), queue.name.clone());
    let monitor = health_core::monitor::Monitor::new(crate::support::registry_of(check, Duration::from_secs(2)), ());
    for answer in crate::support::read_concurrently(&monitor).await {
        assert_eq!(answer, (Status::Degraded, "0 consumers, fewer than 1".to_owned()));
    }
    queue.delete().await;
}
