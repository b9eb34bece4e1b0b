// Every accepted key, in both spellings of flags, with durations in every unit.
use health_core::{health_check, HealthReport};

struct State;

#[health_check(timeout = "1m", critical = true, cache = "1m30s")]
async fn slow(_state: &State) {}

#[health_check(timeout = "750ms", critical = false, groups(readiness, "v2.api"))]
async fn quick() -> Result<u8, String> {
    Ok(1)
}

#[health_check(timeout = "2s", critical, failure_threshold = 3, success_threshold = 2, retries = 2, retry_backoff = "100ms")]
pub(crate) async fn r#type() {}

// No letter to start a type name with: the type is `_2faCheck`.
#[health_check]
async fn _2fa() {}

#[derive(HealthReport, Default)]
#[health(state = State, deadline = "2m")]
pub(crate) struct Health {
    #[health(timeout = "90s", critical = false)]
    slow: SlowCheck,
    #[health(rename = "quick.check", critical)]
    quick: QuickCheck,
    #[health(failure_threshold = 5, success_threshold = 1, retries = 1, retry_backoff = "1s")]
    r#type: TypeCheck,
    #[health(rename = "second-factor", groups(liveness, "batch-jobs"))]
    second_factor: _2faCheck,
}

fn main() {
    use health_core::HealthReport as _;
    assert_eq!(Health::COMPONENTS.len(), 4);
    assert_eq!(Health::COMPONENTS[3].name(), "second-factor");
    assert_eq!(Health::COMPONENTS[3].groups().collect::<Vec<_>>(), ["liveness", "batch-jobs"]);
    assert_eq!(Health::COMPONENTS[1].groups().collect::<Vec<_>>(), ["readiness", "v2.api"]);
    assert_eq!(Health::COMPONENTS[0].groups().collect::<Vec<_>>(), health_core::group::DEFAULT);
    assert_eq!(Health::COMPONENTS[2].name(), "type");
    assert_eq!(<TypeCheck as health_core::Check>::RETRY, health_core::Retry::new(2, std::time::Duration::from_millis(100)));
}
