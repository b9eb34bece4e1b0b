use health_core::health_check;

#[health_check(jitter = 3)]
async fn database() {}

fn main() {}
