use health_core::{health_check, HealthReport};

#[health_check(timeout = "100ms")]
async fn database() {}

#[derive(HealthReport)]
struct Health {
    // The check's timeout of 100ms cannot hold 2 waits of 50ms.
    #[health(retries = 2, retry_backoff = "50ms")]
    database: DatabaseCheck,
}

fn main() {}
