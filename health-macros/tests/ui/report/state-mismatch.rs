use health_core::{health_check, HealthReport};

struct AppState;
struct OtherState;

#[health_check]
async fn database(_state: &AppState) {}

#[derive(HealthReport)]
#[health(state = OtherState)]
struct Health {
    database: DatabaseCheck,
}

fn main() {}
