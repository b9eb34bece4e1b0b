use health_core::health_check;

struct Pool;

impl Pool {
    #[health_check]
    async fn ping(&self) {}
}

fn main() {}
