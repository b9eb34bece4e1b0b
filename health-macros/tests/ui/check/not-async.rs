use health_core::health_check;

#[health_check(timeout = "1s")]
fn database() -> Result<(), String> {
    Ok(())
}

fn main() {}
