use health_core::health_check;

// Every mistake of the attribute is reported in one go.
#[health_check(timout = "1s", cache = 5, critical = "yes")]
async fn database() {}

fn main() {}
