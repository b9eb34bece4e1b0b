use health_core::health_check;

#[health_check]
async fn database() -> impl std::fmt::Display {
    7
}

fn main() {}
