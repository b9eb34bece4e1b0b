use health_core::health_check;

// A key without its value does not hide the errors after it.
#[health_check(timeout, cache = "0s")]
async fn database() {}

fn main() {}
