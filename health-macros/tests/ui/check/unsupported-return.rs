use health_core::health_check;

#[health_check]
async fn database() -> u32 {
    7
}

fn main() {}
