use health_core::health_check;

// A run's result is copied to every read that joins it: details are `Clone`.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct PoolStats {
    idle: u32,
}

#[health_check(cache = "5s")]
async fn database() -> Result<PoolStats, String> {
    Ok(PoolStats { idle: 1 })
}

fn main() {}
