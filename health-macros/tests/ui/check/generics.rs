use health_core::health_check;

#[health_check]
async fn database<S: Sync>(_state: &S) {}

fn main() {}
