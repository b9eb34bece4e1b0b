//! The generated code names everything by absolute path: user items that shadow
//! the prelude, or even the crate's own name, change nothing, and it raises no
//! warning in a crate that denies them.
#![deny(warnings, missing_docs, unused_qualifications)]

/// User code whose scope is full of look-alikes.
pub mod app {
    #![allow(dead_code, non_camel_case_types)]

    use ::health_core::{HealthReport, health_check};

    struct Result;
    struct Ok;
    struct Err;
    struct Option;
    struct Some;
    struct None;
    struct Box;
    struct Send;
    struct Sync;
    struct Sized;
    struct Default;
    struct Future;
    struct Poll;
    struct Duration;
    struct Instant;
    struct SystemTime;
    struct Vec;
    struct String;
    struct Debug;
    struct Formatter;
    struct serde;
    struct health_core;
    struct core;
    struct state;
    struct __S;
    struct bool;
    struct str;
    struct f;

    /// Answers.
    #[health_check(timeout = "10ms", critical, cache = "1s")]
    pub async fn ping() -> ::core::result::Result<u8, &'static ::core::primitive::str> {
        ::core::result::Result::Ok(1)
    }

    #[health_check]
    async fn with_state(_: &u8) {}

    /// A report in a crate that denies warnings and missing docs.
    #[derive(HealthReport)]
    #[health(state = u8, deadline = "1s")]
    pub struct Hygienic {
        /// Always answers.
        pub ping: PingCheck,
        with_state: WithStateCheck,
    }

    /// Builds the report.
    pub fn hygienic() -> Hygienic {
        Hygienic {
            ping: <PingCheck as ::core::default::Default>::default(),
            with_state: <WithStateCheck as ::core::default::Default>::default(),
        }
    }
}

#[test]
fn generated_code_ignores_shadowing_items() {
    use health_core::{HealthReport, Status};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let report = runtime.block_on(app::hygienic().report(&0));
    assert_eq!(report.status, Status::Up);
    assert_eq!(report.components.ping.details, Some(1));
}
