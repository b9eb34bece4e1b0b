use health_core::health_check;

struct AppState;

#[health_check]
async fn database(_state: &AppState, _retries: u32) {}

fn main() {}
