use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
struct Health(PingCheck);

fn main() {}
