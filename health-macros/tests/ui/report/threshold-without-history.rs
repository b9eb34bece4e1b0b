use health_core::{Check, HealthReport, Outcome};

/// A hand-written check: it keeps no history of its runs.
struct Broker;

impl Check for Broker {
    type Details = ();

    async fn run(&self, _: &()) -> Outcome<()> {
        Outcome::up(())
    }
}

#[derive(HealthReport)]
struct Health {
    #[health(failure_threshold = 3)]
    broker: Broker,
}

fn main() {}
