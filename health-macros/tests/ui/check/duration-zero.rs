use health_core::health_check;

#[health_check(timeout = "0ms")]
async fn database() {}

fn main() {}
