use health_core::health_check;

#[health_check]
struct Database;

fn main() {}
