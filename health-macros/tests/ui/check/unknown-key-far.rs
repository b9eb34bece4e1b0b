use health_core::health_check;

#[health_check(retries = 3)]
async fn database() {}

fn main() {}
