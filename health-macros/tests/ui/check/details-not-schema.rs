use health_core::health_check;

#[derive(serde::Serialize)]
struct PoolStats {
    idle: u32,
}

#[health_check]
async fn database() -> Result<PoolStats, String> {
    Ok(PoolStats { idle: 1 })
}

fn main() {}
