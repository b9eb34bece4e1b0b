use health_core::health_check;

#[health_check(timeout = "61m")]
async fn database() {}

#[health_check(timeout = "60m")]
async fn longest() {}

fn main() {}
