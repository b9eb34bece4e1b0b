use std::time::Duration;

use health_core::{health_check, Check, HealthReport, Outcome};

#[health_check]
async fn database() {}

/// A hand-written check may declare any timeout; a report refuses one
/// longer than `MAX_TIMEOUT`.
struct Forever;

impl Check for Forever {
    type Details = ();
    const TIMEOUT: Duration = Duration::MAX;

    async fn run(&self, _: &()) -> Outcome<()> {
        Outcome::up(())
    }
}

#[derive(HealthReport)]
struct Health {
    forever: Forever,
    /// Overridden within the bound: accepted.
    #[health(timeout = "1s")]
    bounded: Forever,
    database: DatabaseCheck,
}

fn main() {
    let health = Health { forever: Forever, bounded: Forever, database: Default::default() };
    let _ = health.report(&());
}
