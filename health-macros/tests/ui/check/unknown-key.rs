use health_core::health_check;

#[health_check(timout = "2s")]
async fn database() {}

fn main() {}
