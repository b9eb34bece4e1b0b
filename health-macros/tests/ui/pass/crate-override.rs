// A crate that re-exports health-core points the macros at its own path.
mod facade {
    pub mod health {
        pub use health_core::*;
    }
}

extern crate health_core as renamed_away;

use facade::health::{health_check, HealthReport};

#[health_check(crate = "crate::facade::health", timeout = "1s")]
async fn ping() {}

#[derive(HealthReport, Default)]
#[health(crate = "crate::facade::health")]
struct Health {
    ping: PingCheck,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let report = Health::default().report(&()).await;
    assert_eq!(report.status, facade::health::Status::Up);
}
