use health_core::{health_check, HealthReport};

#[health_check(timeout = "1s", retries = 2, retry_backoff = "100ms")]
async fn database() {}

#[derive(HealthReport)]
struct Health {
    // The check's own retries wait 200ms: a 150ms timeout leaves them no time.
    #[health(timeout = "150ms")]
    database: DatabaseCheck,
}

fn main() {}
