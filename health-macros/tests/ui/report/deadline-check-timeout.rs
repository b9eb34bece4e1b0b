use health_core::{health_check, HealthReport};

#[health_check(timeout = "5s")]
async fn database() {}

#[derive(HealthReport)]
#[health(deadline = "3s")]
struct Health {
    database: DatabaseCheck,
}

fn main() {}
