//! The report both benchmarks time: 8 instant checks, built by the derive
//! and written by hand with `tokio::join!`, `tokio::time::timeout` and panic
//! catching, producing the same JSON.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use health_core::{Component, HealthReport, Report, Status, health_check};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema, Clone)]
pub struct Pool {
    pub idle: u32,
}

macro_rules! instant_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s")]
        async fn $name() -> Result<Pool, std::io::Error> {
            Ok(Pool { idle: 4 })
        }
    )*};
}

instant_checks!(c1, c2, c3, c4, c5, c6, c7, c8);

#[derive(HealthReport, Default)]
pub struct Derived {
    c1: C1Check,
    c2: C2Check,
    c3: C3Check,
    c4: C4Check,
    c5: C5Check,
    c6: C6Check,
    c7: C7Check,
    c8: C8Check,
}

/// The same checks, each with failure and success thresholds set on its
/// field: what keeping the history costs while the runs succeed.
#[derive(HealthReport, Default)]
pub struct Damped {
    #[health(failure_threshold = 3, success_threshold = 2)]
    c1: C1Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c2: C2Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c3: C3Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c4: C4Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c5: C5Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c6: C6Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c7: C7Check,
    #[health(failure_threshold = 3, success_threshold = 2)]
    c8: C8Check,
}

/// What a careful engineer writes without the derive.
pub mod by_hand {
    use super::*;

    #[derive(Serialize)]
    pub struct Components {
        pub c1: Component<Pool>,
        pub c2: Component<Pool>,
        pub c3: Component<Pool>,
        pub c4: Component<Pool>,
        pub c5: Component<Pool>,
        pub c6: Component<Pool>,
        pub c7: Component<Pool>,
        pub c8: Component<Pool>,
    }

    pin_project_lite::pin_project! {
        struct CatchUnwind<F> {
            #[pin]
            inner: F,
        }
    }

    impl<F: Future> Future for CatchUnwind<F> {
        type Output = Result<F::Output, Box<dyn Any + Send>>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let inner = self.project().inner;
            match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
                Err(panic) => Poll::Ready(Err(panic)),
            }
        }
    }

    async fn run<F: Future<Output = Result<Pool, std::io::Error>>>(check: F) -> Component<Pool> {
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(1), CatchUnwind { inner: check }).await;
        let duration = started.elapsed();
        let (status, message, details) = match result {
            Ok(Ok(Ok(details))) => (Status::Up, None, Some(details)),
            Ok(Ok(Err(error))) => (Status::Down, Some(error.to_string().into()), None),
            Ok(Err(_)) => (Status::Down, Some("check panicked".into()), None),
            Err(_) => (Status::Down, Some("timed out after 1s".into()), None),
        };
        let mut component = Component::new(status).with_duration(duration);
        component.message = message;
        component.details = details;
        component
    }

    pub async fn report() -> Report<Components> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let (c1, c2, c3, c4, c5, c6, c7, c8) =
            tokio::join!(run(c1()), run(c2()), run(c3()), run(c4()), run(c5()), run(c6()), run(c7()), run(c8()));
        let components = Components { c1, c2, c3, c4, c5, c6, c7, c8 };
        let all = [
            &components.c1,
            &components.c2,
            &components.c3,
            &components.c4,
            &components.c5,
            &components.c6,
            &components.c7,
            &components.c8,
        ];
        let status = Status::aggregate(all.map(|c| (c.status, c.critical)));
        Report::new(status, timestamp, started.elapsed(), components)
    }
}
