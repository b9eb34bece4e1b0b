use health_core::health_check;

struct Opaque;

#[health_check]
async fn database() -> Result<(), Opaque> {
    Ok(())
}

fn main() {}
