use health_core::health_check;

struct AppState;

#[health_check]
async fn database(_state: &mut AppState) {}

fn main() {}
