use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
struct Health {
    #[health(rename = "odd{name}")]
    odd: PingCheck,
    #[health(rename = "local disk")]
    spaced: PingCheck,
    // `/health/live` is the liveness route.
    live: PingCheck,
    #[health(rename = "ready")]
    renamed: PingCheck,
}

fn main() {}
