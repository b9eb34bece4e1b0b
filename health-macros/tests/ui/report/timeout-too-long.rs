use health_core::{health_check, HealthReport};

#[health_check]
async fn database() {}

#[derive(HealthReport)]
struct Health {
    #[health(timeout = "120m")]
    database: DatabaseCheck,
    #[health(timeout = "3601s")]
    again: DatabaseCheck,
    #[health(timeout = "60m")]
    longest: DatabaseCheck,
}

fn main() {}
