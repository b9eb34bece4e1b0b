use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
#[health(stat = (), deadlin = "1s")]
struct Health {
    #[health(renam = "p", critcal)]
    ping: PingCheck,
}

fn main() {}
