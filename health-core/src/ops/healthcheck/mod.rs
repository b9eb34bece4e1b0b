//! A health check client built into the service's own binary (feature
//! `healthcheck`), for images without `curl`: a distroless image's Docker
//! `HEALTHCHECK` and a Kubernetes `exec` probe run `service healthcheck`.
//!
//! The service's `main` hands its command line to [`run_if_requested`]
//! first. When the first argument is `healthcheck`, it probes and returns the
//! exit code, and the service starts nothing: no monitor, no check, no
//! server. Otherwise it returns `None` and `main` goes on.
//!
//! ```text
//! service healthcheck [URL] [--timeout 2s]
//! service healthcheck --grpc [ADDRESS] [--service NAME] [--timeout 2s]
//! ```
//!
//! - Over HTTP it sends `GET URL` (default: the service's own readiness
//!   route, from [`HealthcheckDefaults`]); any status from 200 to 399 is
//!   healthy, as the kubelet says.
//! - With `--grpc` it calls `grpc.health.v1.Health/Check` for `NAME`
//!   (default `readiness`) at `ADDRESS` (default the service's own gRPC
//!   port); `SERVING` is healthy (feature `grpc` too).
//! - It exits 0 when healthy and 1 otherwise, Docker's convention, with one
//!   line on stderr saying why; bad arguments exit 1 too, with the usage.
//!   Everything is bounded by `--timeout` (default 2 s).
//!
//! ```no_run
//! use std::process::ExitCode;
//! use health_core::ops::healthcheck::{self, HealthcheckDefaults};
//!
//! fn main() -> ExitCode {
//!     // The same port the service listens on: the defaults cannot drift.
//!     let port = 8080;
//!     if let Some(code) = healthcheck::run_if_requested(&HealthcheckDefaults::local(port)) {
//!         return code;
//!     }
//!     // … start the service.
//!     ExitCode::SUCCESS
//! }
//! ```

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

mod args;
#[cfg(feature = "grpc")]
mod grpc;
mod http;

pub use args::{Healthcheck, Target, UsageError};

/// The timeout when `--timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// What `healthcheck` probes when its command line names nothing: the
/// service's own endpoints, built from the same port and base path the
/// service serves them on.
///
/// ```
/// use health_core::ops::healthcheck::HealthcheckDefaults;
///
/// let defaults = HealthcheckDefaults::local(8080).grpc_port(50051);
/// assert_eq!(defaults.url(), "http://127.0.0.1:8080/health/ready");
/// assert_eq!(defaults.grpc_address(), Some("127.0.0.1:50051"));
/// let moved = HealthcheckDefaults::local(9000).base_path("/internal/health");
/// assert_eq!(moved.url(), "http://127.0.0.1:9000/internal/health/ready");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthcheckDefaults {
    port: u16,
    base_path: String,
    grpc: Option<String>,
    timeout: Duration,
}

impl HealthcheckDefaults {
    /// The readiness route of a service on `127.0.0.1:port` with the default
    /// base path, `/health`.
    pub fn local(port: u16) -> Self {
        HealthcheckDefaults { port, base_path: "/health".to_owned(), grpc: None, timeout: DEFAULT_TIMEOUT }
    }

    /// The base path the service serves its endpoints under, as given to
    /// `HealthServiceBuilder::base_path`.
    #[must_use]
    pub fn base_path(mut self, base: impl Into<String>) -> Self {
        self.base_path = base.into();
        self
    }

    /// The port of the service's own gRPC health service, for `--grpc`
    /// without an address.
    #[must_use]
    pub fn grpc_port(mut self, port: u16) -> Self {
        self.grpc = Some(format!("127.0.0.1:{port}"));
        self
    }

    /// The timeout when `--timeout` is not given.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL probed when the command line names none.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}/ready", self.port, self.base_path.trim_end_matches('/'))
    }

    /// The gRPC address probed by `--grpc` without one.
    pub fn grpc_address(&self) -> Option<&str> {
        self.grpc.as_deref()
    }
}

/// When the process was started as `<binary> healthcheck …`, probes as the
/// rest of the command line says and returns the exit code; otherwise
/// `None`, and the service starts as usual.
pub fn run_if_requested(defaults: &HealthcheckDefaults) -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "healthcheck" {
        return None;
    }
    Some(run(args, defaults))
}

/// Probes as `args` (what follows `healthcheck`) say, prints one line, and
/// returns the exit code: 0 when healthy, 1 otherwise.
pub fn run(args: impl IntoIterator<Item = OsString>, defaults: &HealthcheckDefaults) -> ExitCode {
    let check = match Healthcheck::parse(args, defaults) {
        Ok(check) => check,
        Err(error) => {
            eprintln!("healthcheck: {error}\n{}", args::USAGE);
            return ExitCode::FAILURE;
        }
    };
    match check.probe() {
        Ok(healthy) => {
            println!("healthy: {healthy}");
            ExitCode::SUCCESS
        }
        Err(unhealthy) => {
            eprintln!("unhealthy: {unhealthy}");
            ExitCode::FAILURE
        }
    }
}

impl Healthcheck {
    /// Probes once, on a runtime of its own, within the timeout: what it
    /// saw when healthy, why not otherwise.
    pub fn probe(&self) -> Result<Verdict, Verdict> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|error| Verdict(format!("cannot start a runtime: {error}")))?;
        let target = self.target().clone();
        let timeout = self.timeout();
        let verdict = runtime.block_on(async move {
            let probe = async {
                match &target {
                    Target::Http { url } => http::probe(url).await,
                    #[cfg(feature = "grpc")]
                    Target::Grpc { address, service } => grpc::probe(address, service).await,
                    #[cfg(not(feature = "grpc"))]
                    Target::Grpc { .. } => {
                        Err(Verdict(format!("{target}: this build has no gRPC client (feature grpc)")))
                    }
                }
            };
            match tokio::time::timeout(timeout, probe).await {
                Ok(verdict) => verdict,
                Err(_) => Err(Verdict(format!("{target}: no answer within {} ms", timeout.as_millis()))),
            }
        });
        // Without waiting for a name lookup still blocking a thread: the
        // timeout bounds the whole probe.
        runtime.shutdown_background();
        verdict
    }
}

/// One line saying what a probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict(pub String);

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
