use health_core::health_check;

#[health_check(timeout = "1s", critical, timeout = "2s")]
async fn database() {}

fn main() {}
