//! The command line of `healthcheck`: what to probe, and for how long.

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use super::HealthcheckDefaults;

/// How to call it, printed with every usage error.
pub(super) const USAGE: &str =
    "usage: healthcheck [URL] [--timeout 2s]\n       healthcheck --grpc [ADDRESS] [--service NAME] [--timeout 2s]";

/// What `healthcheck` probes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// `GET url`: healthy from 200 to 399.
    Http {
        /// `http://host[:port]/path`.
        url: String,
    },
    /// `grpc.health.v1.Health/Check` of `service` at `address`: healthy when `SERVING`.
    Grpc {
        /// `host:port`.
        address: String,
        /// The name checked: a group, a component, or empty for the whole.
        service: String,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Http { url } => write!(f, "GET {url}"),
            Target::Grpc { address, service } => write!(f, "gRPC Check {service:?} at {address}"),
        }
    }
}

/// A parsed `healthcheck` command line.
///
/// ```
/// use std::time::Duration;
/// use health_core::ops::healthcheck::{Healthcheck, HealthcheckDefaults, Target};
///
/// let defaults = HealthcheckDefaults::local(8080).grpc_port(50051);
/// let check = Healthcheck::parse(["--timeout", "500ms"].map(Into::into), &defaults).unwrap();
/// assert_eq!(check.target(), &Target::Http { url: "http://127.0.0.1:8080/health/ready".into() });
/// assert_eq!(check.timeout(), Duration::from_millis(500));
/// let grpc = Healthcheck::parse(["--grpc", "--service", "liveness"].map(Into::into), &defaults).unwrap();
/// assert_eq!(grpc.target(), &Target::Grpc { address: "127.0.0.1:50051".into(), service: "liveness".into() });
/// assert!(Healthcheck::parse(["--timeout", "soon"].map(Into::into), &defaults).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    target: Target,
    timeout: Duration,
}

/// A command line `healthcheck` does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// An option it does not know.
    UnknownOption(String),
    /// An option without its value.
    MissingValue(&'static str),
    /// A `--timeout` that is not a number with `ms`, `s` or `m`.
    BadTimeout(String),
    /// A URL that is not `http://…`.
    BadUrl(String),
    /// More than one URL or address.
    ExtraArgument(String),
    /// `--grpc` without an address, when the service has no gRPC port.
    NoGrpcAddress,
    /// An argument that is not UTF-8.
    NotUtf8,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::UnknownOption(option) => write!(f, "unknown option {option}"),
            UsageError::MissingValue(option) => write!(f, "{option} needs a value"),
            UsageError::BadTimeout(value) => {
                write!(f, "--timeout {value}: expected a number with ms, s or m, such as 2s or 500ms")
            }
            UsageError::BadUrl(url) => write!(f, "{url}: expected http://host[:port]/path (plain HTTP)"),
            UsageError::ExtraArgument(argument) => write!(f, "one URL or address at most, and {argument} is another"),
            UsageError::NoGrpcAddress => write!(f, "--grpc needs an address: this service serves no gRPC port"),
            UsageError::NotUtf8 => write!(f, "an argument is not UTF-8"),
        }
    }
}

impl std::error::Error for UsageError {}

impl Healthcheck {
    /// Parses what follows `healthcheck` on the command line, with the
    /// service's own endpoints as defaults.
    pub fn parse(args: impl IntoIterator<Item = OsString>, defaults: &HealthcheckDefaults) -> Result<Self, UsageError> {
        let mut grpc = false;
        let mut place: Option<String> = None;
        let mut service: Option<String> = None;
        let mut timeout = defaults.timeout;
        let mut args = args.into_iter().map(|arg| arg.into_string().map_err(|_| UsageError::NotUtf8));
        while let Some(arg) = args.next() {
            let arg = arg?;
            let mut value = |option: &'static str| args.next().transpose()?.ok_or(UsageError::MissingValue(option));
            match arg.as_str() {
                "--grpc" => grpc = true,
                "--service" => service = Some(value("--service")?),
                "--timeout" => {
                    let given = value("--timeout")?;
                    timeout = parse_duration(&given).ok_or(UsageError::BadTimeout(given))?;
                }
                option if option.starts_with("--") => return Err(UsageError::UnknownOption(option.to_owned())),
                _ if place.is_some() => return Err(UsageError::ExtraArgument(arg)),
                _ => place = Some(arg),
            }
        }
        let target = if grpc {
            let address = match place {
                Some(address) => address,
                None => defaults.grpc_address().ok_or(UsageError::NoGrpcAddress)?.to_owned(),
            };
            Target::Grpc { address, service: service.unwrap_or_else(|| "readiness".to_owned()) }
        } else {
            if let Some(service) = service {
                return Err(UsageError::UnknownOption(format!("--service {service} (it goes with --grpc)")));
            }
            let url = place.unwrap_or_else(|| defaults.url());
            if !url.starts_with("http://") {
                return Err(UsageError::BadUrl(url));
            }
            Target::Http { url }
        };
        Ok(Healthcheck { target, timeout })
    }

    /// What it probes.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How long it waits in all.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// `2s`, `500ms`, `1m`, `1.5s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok().filter(|duration| !duration.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Healthcheck, UsageError> {
        Healthcheck::parse(args.iter().map(OsString::from), &HealthcheckDefaults::local(8080))
    }

    #[test]
    fn the_command_lines_the_example_documents_parse() {
        assert_eq!(parse(&[]).unwrap().target(), &Target::Http { url: "http://127.0.0.1:8080/health/ready".into() });
        let given = parse(&["http://10.0.0.1:9000/health/live", "--timeout", "1.5s"]).unwrap();
        assert_eq!(given.target(), &Target::Http { url: "http://10.0.0.1:9000/health/live".into() });
        assert_eq!(given.timeout(), Duration::from_millis(1500));
        let grpc = parse(&["--grpc", "127.0.0.1:50051", "--service", "liveness"]).unwrap();
        assert_eq!(grpc.target(), &Target::Grpc { address: "127.0.0.1:50051".into(), service: "liveness".into() });
        assert_eq!(parse(&[]).unwrap().timeout(), Duration::from_secs(2));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert_eq!(parse(&["--verbose"]), Err(UsageError::UnknownOption("--verbose".into())));
        assert_eq!(parse(&["--timeout"]), Err(UsageError::MissingValue("--timeout")));
        assert_eq!(parse(&["--timeout", "0s"]), Err(UsageError::BadTimeout("0s".into())));
        assert_eq!(parse(&["--timeout", "2 s"]), Err(UsageError::BadTimeout("2 s".into())));
        assert_eq!(
            parse(&["https://example.com/health"]),
            Err(UsageError::BadUrl("https://example.com/health".into()))
        );
        assert_eq!(parse(&["http://a/", "http://b/"]), Err(UsageError::ExtraArgument("http://b/".into())));
        assert_eq!(parse(&["--grpc"]), Err(UsageError::NoGrpcAddress));
        assert!(matches!(parse(&["--service", "x"]), Err(UsageError::UnknownOption(_))));
    }
}
