use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
#[health(deadline = "1s")]
#[health(deadline = "2s")]
struct Health {
    #[health(critical, critical = false)]
    ping: PingCheck,
}

fn main() {}
