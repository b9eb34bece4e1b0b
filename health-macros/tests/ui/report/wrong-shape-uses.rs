// An item the derive rejects is one error each: its uses add none.
use health_core::{health_check, HealthReport};

#[health_check]
async fn ping() {}

#[derive(HealthReport)]
enum Health {
    Up,
}

#[derive(HealthReport)]
struct Pair(PingCheck, PingCheck);

#[derive(HealthReport)]
#[health(state = u32)]
struct Generic<C> {
    check: C,
}

async fn uses() {
    let _ = Health::Up.report(&()).await.components;
    let _ = Pair(PingCheck::default(), PingCheck::default()).report(&()).await.status;
    let _ = Generic { check: PingCheck::default() }.report(&7).await;
    let _ = (Health::json_schema(), Pair::COMPONENTS, Generic::<PingCheck>::TITLE);
    let _: Option<HealthComponents> = None;
}

fn main() {
    let _ = uses();
}
