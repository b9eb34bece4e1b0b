use health_core::health_check;

#[health_check(groups(liveness, liveness, "batch jobs", 7))]
async fn database() {}

#[health_check(groups = "liveness")]
async fn cache() {}

fn main() {}
