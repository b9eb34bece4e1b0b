use health_core::health_check;

#[health_check(timeout = 2)]
async fn database() {}

fn main() {}
