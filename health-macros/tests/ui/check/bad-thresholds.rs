use health_core::health_check;

#[health_check(failure_threshold = 0)]
async fn database() {}

#[health_check(success_threshold = 0)]
async fn cache() {}

#[health_check(failure_threshold = "3", success_threshold = 2.5)]
async fn queue() {}

#[health_check(retries = -1, failure_threshold)]
async fn search() {}

fn main() {}
