use health_core::health_check;

#[health_check(timeout = "2h")]
async fn database() {}

fn main() {}
