use health_core::health_check;

#[health_check(timeout = "2 secs")]
async fn database() {}

fn main() {}
