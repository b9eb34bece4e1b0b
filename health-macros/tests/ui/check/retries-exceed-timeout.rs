use health_core::health_check;

// Two waits of 50ms fill the 100ms timeout: the last retry would have no time.
#[health_check(timeout = "100ms", retries = 2, retry_backoff = "50ms")]
async fn database() {}

// A wait with nothing to wait for.
#[health_check(retry_backoff = "50ms")]
async fn cache() {}

fn main() {}
