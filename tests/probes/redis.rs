//! Redis through the `redis` crate's `ConnectionManager` and `MultiplexedConnection`.

use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::redis::{ConnectionCheck, RedisOptions};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use health_core::testing::SilentServer;

use crate::support::{
    Server, assert_secret_absent, binary, closed_port, details, free_port, report_of, url, verdict, wait_for,
};

fn lazy_manager(url: &str) -> ConnectionManager {
    let config = ConnectionManagerConfig::new().set_number_of_retries(1).set_max_delay(Duration::from_millis(100));
    ConnectionManager::new_lazy_with_config(redis::Client::open(url).unwrap(), config).unwrap()
}

async fn info(connection: &mut ConnectionManager, field: &str) -> String {
    let info: String = redis::cmd("INFO").query_async(connection).await.unwrap();
    info.lines().find_map(|line| line.strip_prefix(&format!("{field}:"))).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_running_server_is_up_with_the_version_and_role_info_reports() {
    let Some(url) = url("REDIS_URL") else { return };
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut manager = ConnectionManager::new(client.clone()).await.unwrap();
    let report = report_of(ConnectionCheck::new(manager.clone()), Duration::from_secs(1)).await;
    assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
    let details = details(&report);
    assert_eq!(details["version"], info(&mut manager, "redis_version").await);
    assert_eq!(details["role"], info(&mut manager, "role").await);

    let multiplexed = client.get_multiplexed_async_connection().await.unwrap();
    let report = report_of(ConnectionCheck::new(multiplexed), Duration::from_secs(1)).await;
    assert_eq!(verdict(&report).0, Status::Up);
}

#[tokio::test]
async fn a_closed_port_and_a_silent_server_are_down_within_the_timeout() {
    let blackhole = SilentServer::start().await.unwrap();
    let timeout = Duration::from_millis(500);
    for address in [format!("127.0.0.1:{}", closed_port()), blackhole.address().to_string()] {
        let started = Instant::now();
        let report = report_of(ConnectionCheck::new(lazy_manager(&format!("redis://{address}"))), timeout).await;
        assert_eq!(verdict(&report).0, Status::Down, "{address}");
        assert!(started.elapsed() < timeout * 3);
        assert!(!verdict(&report).1.is_empty());
    }
}

/// A `redis-server` of the test's own; `None` where it is not installed.
pub(crate) fn redis_server(port: u16, extra: &[&str]) -> Option<Server> {
    binary("redis-server")?;
    let mut args: Vec<String> =
        ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            .map(String::from)
            .to_vec();
    args.extend(extra.iter().map(|arg| arg.to_string()));
    Server::start("redis-server", &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_manager_survives_a_restart_and_opens_no_connection_over_1000_reports() {
    let port = free_port();
    let Some(mut server) = redis_server(port, &[]) else { return };
    let address = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for(address).await;
    let url = format!("redis://127.0.0.1:{port}");
    let manager = ConnectionManager::new(redis::Client::open(url.as_str()).unwrap()).await.unwrap();
    let check = || ConnectionCheck::new(manager.clone());
    assert_eq!(verdict(&report_of(check(), Duration::from_secs(1)).await).0, Status::Up);

    server.stop();
    let started = Instant::now();
    assert_eq!(verdict(&report_of(check(), Duration::from_millis(500)).await).0, Status::Down);
    assert!(started.elapsed() < Duration::from_millis(1500));

    server.restart();
    wait_for(address).await;
    let first = verdict(&report_of(check(), Duration::from_secs(1)).await).0;
    let second = verdict(&report_of(check(), Duration::from_secs(1)).await).0;
    assert!(first == Status::Up || second == Status::Up, "not UP within two reports: {first:?}, {second:?}");

    // Redis counts every connection it accepts: the probe must open none.
    let mut observer = ConnectionManager::new(redis::Client::open(url.as_str()).unwrap()).await.unwrap();
    let before = info(&mut observer, "total_connections_received").await;
    let registry = crate::support::registry_of(check(), health_core::DEFAULT_TIMEOUT);
    for _ in 0..1000 {
        assert_eq!(registry.report(&()).await.status, Status::Up);
    }
    assert_eq!(info(&mut observer, "total_connections_received").await, before);
}

#[tokio::test]
async fn a_rotated_password_is_down_and_appears_nowhere() {
    let port = free_port();
    let secret = "hunter2-redis-secret";
    let Some(_server) = redis_server(port, &["--requirepass", secret]) else { return };
    wait_for(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let url = format!("redis://:{secret}@127.0.0.1:{port}");
    let mut manager = lazy_manager(&url);
    assert_eq!(verdict(&report_of(ConnectionCheck::new(manager.clone()), Duration::from_secs(1)).await).0, Status::Up);

    // The password changes under the application: its reconnections are refused.
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("requirepass").arg("rotated").query_async(&mut manager).await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("no")
        .query_async(&mut manager)
        .await
        .unwrap_or(());
    // The manager reconnects in the background and tells the probe only
    // when its retries are spent: with one retry, that is within the timeout.
    let mut seen = Vec::new();
    for _ in 0..5 {
        let report = report_of(ConnectionCheck::new(manager.clone()), Duration::from_millis(500)).await;
        assert_secret_absent(&report, secret);
        seen.push(verdict(&report));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.iter().all(|(status, _)| *status == Status::Down), "{seen:?}");
    assert!(seen.iter().any(|(_, message)| message.contains("Password authentication failed")), "{seen:?}");
}

#[tokio::test]
async fn a_replica_that_lost_its_primary_is_degraded_and_a_failed_cluster_is_down() {
    let port = free_port();
    let primary = closed_port().to_string();
    let Some(_replica) = redis_server(port, &["--replicaof", "127.0.0.1", &primary]) else { return };
    wait_for(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let manager =
        ConnectionManager::new(redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap()).await.unwrap();
    let report = report_of(ConnectionCheck::new(manager), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded);
    assert!(message.contains("master_link_status:down"), "{message}");
    assert_eq!(details(&report)["role"], "slave");

    let port = free_port();
    let directory = crate::support::TempDir::new("redis-cluster");
    let config = directory.0.join("nodes.conf");
    let Some(_node) =
        redis_server(port, &["--cluster-enabled", "yes", "--cluster-config-file", config.to_str().unwrap()])
    else {
        return;
    };
    wait_for(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let manager =
        ConnectionManager::new(redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap()).await.unwrap();
    let report = report_of(ConnectionCheck::new(manager), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert_eq!(message, "cluster_state:fail");
    assert_eq!(details(&report)["cluster_state"], "fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_busy_for_a_moment_is_degraded() {
    let port = free_port();
    let Some(_server) = redis_server(port, &["--enable-debug-command", "yes"]) else { return };
    wait_for(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let manager = ConnectionManager::new(client.clone()).await.unwrap();
    let mut busy = client.get_multiplexed_async_connection().await.unwrap();
    // Redis runs one command at a time: a sleeping one delays the probe's.
    let sleeper = tokio::spawn(async move {
        let _: Result<(), _> = redis::cmd("DEBUG").arg("SLEEP").arg("0.3").query_async(&mut busy).await;
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let check = ConnectionCheck::new(manager).with_options(RedisOptions::new().slow_after(Duration::from_millis(100)));
    let report = report_of(check, Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded, "{message}");
    assert!(message.contains("above the 100 ms threshold"), "{message}");
    sleeper.await.unwrap();
}

/// How many `HELLO`s the server at `manager` has answered.
async fn hellos(manager: &mut ConnectionManager) -> u64 {
    let stats: String = redis::cmd("INFO").arg("commandstats").query_async(manager).await.unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_hello:calls="))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

#[tokio::test]
async fn the_ready_made_check_remembers_the_server_and_the_function_keeps_nothing() {
    let port = free_port();
    let Some(_server) = redis_server(port, &[]) else { return };
    wait_for(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let mut manager =
        ConnectionManager::new(redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap()).await.unwrap();
    let registry = crate::support::registry_of(ConnectionCheck::new(manager.clone()), Duration::from_secs(1));
    let before = hellos(&mut manager).await;
    for _ in 0..5 {
        let report = registry.report(&()).await;
        assert_eq!(verdict(&report).0, Status::Up);
        assert!(details(&report)["version"].is_string(), "every run tells the version");
    }
    assert_eq!(hellos(&mut manager).await - before, 1, "one HELLO for five runs of one check");

    let before = hellos(&mut manager).await;
    for _ in 0..3 {
        let outcome = health_core::probe::redis::connection(&manager).await;
        assert!(outcome.details().and_then(|details| details.version.as_ref()).is_some());
    }
    assert_eq!(hellos(&mut manager).await - before, 3, "the function asks each run");
}
