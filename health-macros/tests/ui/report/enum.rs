use health_core::HealthReport;

#[derive(HealthReport)]
enum Health {
    Up,
}

fn main() {}
