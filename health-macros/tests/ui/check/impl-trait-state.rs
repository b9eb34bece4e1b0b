use health_core::health_check;

#[health_check]
async fn database(_state: &impl Sync) {}

fn main() {}
