use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
#[health(deadline = "1s")]
struct Health {
    #[health(timeout = "1500ms")]
    ping: PingCheck,
}

fn main() {}
