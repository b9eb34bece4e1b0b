use health_core::health_check;

// No timeout: the default of 1s, which 4 waits of 300ms exceed.
#[health_check(retries = 4, retry_backoff = "300ms")]
async fn database() {}

fn main() {}
