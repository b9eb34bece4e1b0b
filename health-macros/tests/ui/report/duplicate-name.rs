use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
struct Health {
    primary: PingCheck,
    #[health(rename = "primary")]
    secondary: PingCheck,
}

fn main() {}
