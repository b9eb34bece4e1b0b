use health_core::HealthReport;

#[derive(HealthReport)]
struct Health<C> {
    check: C,
}

fn main() {}
