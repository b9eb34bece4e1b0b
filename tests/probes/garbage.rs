//! Servers that answer with bytes of no protocol: every probe reports DOWN
//! with the client's message, and none panics.

use std::time::Duration;

use health_core::Status;
use health_core::probe::http_upstream::{RequestCheck, UpstreamOptions};

use health_core::testing::GarbageServer;

use crate::support::{report_of, verdict};

const TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test]
async fn every_probe_reports_a_garbled_answer_down() {
    let garbage = GarbageServer::start().await.unwrap();
    let address = garbage.address();
    let postgres =
        sqlx::postgres::PgPoolOptions::new().connect_lazy(&format!("postgres://postgres@{address}/test")).unwrap();
    let mysql = sqlx::mysql::MySqlPoolOptions::new().connect_lazy(&format!("mysql://root@{address}/test")).unwrap();
    let redis = redis::aio::ConnectionManager::new_lazy_with_config(
        redis::Client::open(format!("redis://{address}")).unwrap(),
        redis::aio::ConnectionManagerConfig::new().set_number_of_retries(1),
    )
    .unwrap();
    let upstream = UpstreamOptions::get(&format!("http://{address}/health")).unwrap();
    let reports = [
        ("postgres", report_of(health_core::probe::postgres::PoolCheck::new(postgres), TIMEOUT).await),
        ("mysql", report_of(health_core::probe::mysql::PoolCheck::new(mysql), TIMEOUT).await),
        ("redis", report_of(health_core::probe::redis::ConnectionCheck::new(redis), TIMEOUT).await),
        ("http", report_of(RequestCheck::new(reqwest::Client::new(), upstream), TIMEOUT).await),
    ];
    for (probe, report) in reports {
        let (status, message) = verdict(&report);
        assert_eq!(status, Status::Down, "{probe}");
        assert!(!message.contains("panicked"), "{probe}: {message}");
        assert!(!message.is_empty(), "{probe}");
    }
}
