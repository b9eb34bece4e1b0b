//! TCP reachability, with no client crate.

use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::tcp::{ConnectCheck, TcpOptions};

use crate::support::{closed_port, details, report_of, verdict};

#[tokio::test]
async fn a_listening_port_is_up_with_each_address_and_its_latency() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let report = report_of(ConnectCheck::new(format!("localhost:{port}")), Duration::from_secs(1)).await;
    let details = details(&report);
    let addresses = details["addresses"].as_array().unwrap();
    let ipv4 = addresses.iter().find(|address| address["address"] == format!("127.0.0.1:{port}")).unwrap();
    assert_eq!(ipv4["connected"], true);
    assert!(ipv4["latency_ms"].as_f64().unwrap() >= 0.0);
    // Where localhost also names ::1, nothing listens there: one of two refuses.
    let expected = if addresses.len() == 1 { Status::Up } else { Status::Degraded };
    assert_eq!(verdict(&report).0, expected, "{:?}", verdict(&report));

    let slow =
        ConnectCheck::new(format!("127.0.0.1:{port}")).with_options(TcpOptions::new().slow_after(Duration::ZERO));
    assert_eq!(verdict(&report_of(slow, Duration::from_secs(1)).await).0, Status::Degraded);
}

#[tokio::test]
async fn a_closed_port_and_an_unknown_name_are_down_at_once() {
    let started = Instant::now();
    let report = report_of(ConnectCheck::new(format!("127.0.0.1:{}", closed_port())), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("refused"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(1));

    let report = report_of(ConnectCheck::new("no-such-host.invalid:80"), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(
        message.starts_with("cannot resolve no-such-host.invalid:80") || message.starts_with("timed out"),
        "{message}"
    );
}
