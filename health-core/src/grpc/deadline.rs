//! The caller's deadline, from the `grpc-timeout` header.

use std::time::Duration;

use tonic::Status;
use tonic::metadata::MetadataMap;

/// The header a gRPC client sends its deadline in.
const HEADER: &str = "grpc-timeout";

/// How long before the caller's deadline the answer is sent. tonic's server
/// starts its own timer for the deadline when the headers arrive, before the
/// handler runs, and answers CANCELLED when it fires; the answer must beat it,
/// and travel.
const MARGIN: Duration = Duration::from_millis(20);

/// How long a call may take to answer, from its `grpc-timeout` header: the
/// deadline less a margin of at most [`MARGIN`] (a tenth of short deadlines).
/// `None` without a header; a malformed one is INVALID_ARGUMENT.
pub(crate) fn budget(metadata: &MetadataMap) -> Result<Option<Duration>, Status> {
    let Some(value) = metadata.get(HEADER) else { return Ok(None) };
    let timeout = value.to_str().ok().and_then(parse).ok_or_else(|| {
        Status::invalid_argument(format!(
            "malformed `{HEADER}` header: expected up to 8 digits and a unit (H, M, S, m, u or n)"
        ))
    })?;
    Ok(Some(timeout.saturating_sub(MARGIN.min(timeout / 10))))
}

/// A `grpc-timeout` value: up to 8 ASCII digits, then H, M, S, m, u or n.
fn parse(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at_checked(value.len().checked_sub(1)?)?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_the_header() {
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("99999999S"), Some(Duration::from_secs(99_999_999)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse("0n"), Some(Duration::ZERO));
        for bad in ["", "S", "100", "123456789S", "1.5S", "-1S", "10s", "10 S", "1é"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_budget_leaves_a_margin() {
        let mut metadata = MetadataMap::new();
        assert_eq!(budget(&metadata).unwrap(), None);
        metadata.insert(HEADER, "1S".parse().unwrap());
        assert_eq!(budget(&metadata).unwrap(), Some(Duration::from_millis(980)));
        metadata.insert(HEADER, "20m".parse().unwrap());
        assert_eq!(budget(&metadata).unwrap(), Some(Duration::from_millis(18)));
        metadata.insert(HEADER, "soon".parse().unwrap());
        assert_eq!(budget(&metadata).unwrap_err().code(), tonic::Code::InvalidArgument);
    }
}
