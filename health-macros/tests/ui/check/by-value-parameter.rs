use health_core::health_check;

struct AppState;

#[health_check]
async fn database(_state: AppState) {}

fn main() {}
