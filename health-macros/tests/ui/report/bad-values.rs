use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
#[health(state = "AppState", deadline = 3)]
struct Health {
    #[health(rename = "", timeout = "0s")]
    ping: PingCheck,
    #[health(rename = other)]
    other: PingCheck,
}

fn main() {}
