use health_core::{health_check, HealthReport};

#[health_check]
async fn database() {}

#[derive(HealthReport)]
struct Health {
    #[health(failure_threshold = 0, success_threshold = 0)]
    database: DatabaseCheck,
    #[health(timeout = "100ms", retries = 3, retry_backoff = "40ms")]
    cache: DatabaseCheck,
}

fn main() {}
