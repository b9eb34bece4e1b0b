use health_core::health_check;

#[health_check(groups(liveness, liveness, "batch jobs", 7, readyness, batch))]
async fn database() {}

#[health_check(groups = "liveness")]
async fn cache() {}

#[health_check(groups(readiness, batch-jobs))]
async fn queue() {}

fn main() {}
