//! What responses show beyond statuses, and who may see it.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use subtle::ConstantTimeEq;

use super::RequestError;
use crate::{Component, Status};

/// What responses show beyond statuses: messages, details and timings.
///
/// ```
/// use health_core::http::Visibility;
///
/// let visibility = Visibility::when_authorized("s3cret");
/// assert!(!format!("{visibility:?}").contains("s3cret"), "Debug hides the token");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Visibility {
    /// Everything, to everyone.
    Always,
    /// Overall and component statuses only. The default: messages and details
    /// can reveal hosts, versions and errors, and health endpoints are often
    /// reachable by more people than the service's own API.
    #[default]
    Never,
    /// Everything to requests carrying `Authorization: Bearer <token>`, statuses
    /// only to requests without one; a wrong token is refused with 401. The
    /// token is compared in constant time. Made by [`Visibility::when_authorized`].
    #[non_exhaustive]
    WhenAuthorized {
        /// The expected bearer token.
        token: String,
    },
}

impl Visibility {
    /// Everything to requests bearing `token`, statuses only to others.
    pub fn when_authorized(token: impl Into<String>) -> Self {
        Visibility::WhenAuthorized { token: token.into() }
    }

    /// Whether details need a token.
    pub(crate) fn needs_token(&self) -> bool {
        matches!(self, Visibility::WhenAuthorized { .. })
    }
}

impl fmt::Debug for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Visibility::Always => f.write_str("Always"),
            Visibility::Never => f.write_str("Never"),
            Visibility::WhenAuthorized { .. } => f.write_str("WhenAuthorized { token: *** }"),
        }
    }
}

/// What one answer shows beyond statuses, decided once per request by
/// [`Access::shown`]: every format and the status page's history ask it, so
/// that no renderer shows more than another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shown {
    /// Messages, details and timings.
    everything: bool,
}

impl Shown {
    /// Statuses, and everything else.
    pub(crate) const ALL: Shown = Shown { everything: true };
    /// Statuses only.
    pub(crate) const STATUSES: Shown = Shown { everything: false };

    /// Whether messages, details and timings are shown.
    pub(crate) fn everything(self) -> bool {
        self.everything
    }

    /// A component's message, if shown.
    pub(crate) fn message<T>(self, component: &Component<T>) -> Option<&str> {
        component.message.as_deref().filter(|_| self.everything)
    }

    /// A component's details, if shown.
    pub(crate) fn details<T>(self, component: &Component<T>) -> Option<&T> {
        component.details.as_ref().filter(|_| self.everything)
    }

    /// A timing (a duration, the time a report ran), if shown.
    pub(crate) fn timing<V>(self, value: V) -> Option<V> {
        self.everything.then_some(value)
    }

    /// Whether a component in `status` has a reason that is not shown.
    pub(crate) fn withholds_reason(self, status: Status) -> bool {
        !self.everything && status != Status::Up
    }
}

/// Decides, per request, whether details are shown: bearer tokens compared
/// through keyed hashes.
pub(crate) struct Access {
    visibility: Visibility,
    /// Keyed hashing for comparing bearer tokens in time independent of their length.
    hasher: RandomState,
}

impl Access {
    pub(crate) fn new(visibility: Visibility) -> Self {
        Access { visibility, hasher: RandomState::new() }
    }

    pub(crate) fn visibility(&self) -> &Visibility {
        &self.visibility
    }

    /// What the request may see beyond statuses; a wrong token is refused.
    pub(crate) fn shown(&self, authorization: Option<&[u8]>) -> Result<Shown, RequestError> {
        self.details_shown(authorization).map(|everything| Shown { everything })
    }

    fn details_shown(&self, authorization: Option<&[u8]>) -> Result<bool, RequestError> {
        match &self.visibility {
            Visibility::Always => Ok(true),
            Visibility::Never => Ok(false),
            Visibility::WhenAuthorized { token } => {
                let Some(value) = authorization else { return Ok(false) };
                let scheme_ok = value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ");
                let presented =
                    if scheme_ok { value[7..].trim_ascii() } else { return Err(RequestError::Unauthorized) };
                // Keyed hashes have one length whatever the tokens', so the
                // comparison time reveals neither content nor length.
                let digest = |bytes: &[u8]| self.hasher.hash_one(bytes).to_le_bytes();
                if bool::from(digest(presented).ct_eq(&digest(token.as_bytes()))) {
                    Ok(true)
                } else {
                    Err(RequestError::Unauthorized)
                }
            }
        }
    }
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access").field("visibility", &self.visibility).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn statuses_only_shows_no_message_details_or_timing_and_says_a_reason_is_withheld() {
        let down = Component::new(Status::Down).with_message("refused").with_details(7u8);
        assert_eq!(Shown::ALL.message(&down), Some("refused"));
        assert_eq!(Shown::ALL.details(&down), Some(&7));
        assert_eq!(Shown::ALL.timing(Duration::from_millis(3)), Some(Duration::from_millis(3)));
        assert!(!Shown::ALL.withholds_reason(Status::Down));
        assert_eq!(Shown::STATUSES.message(&down), None);
        assert_eq!(Shown::STATUSES.details(&down), None);
        assert_eq!(Shown::STATUSES.timing(Duration::from_millis(3)), None);
        assert!(Shown::STATUSES.withholds_reason(Status::Down) && Shown::STATUSES.withholds_reason(Status::Degraded));
        assert!(!Shown::STATUSES.withholds_reason(Status::Up));
    }

    #[test]
    fn a_token_decides_what_is_shown() {
        let access = Access::new(Visibility::when_authorized("s3cret"));
        assert_eq!(access.shown(None), Ok(Shown::STATUSES));
        assert_eq!(access.shown(Some(b"Bearer s3cret")), Ok(Shown::ALL));
        assert_eq!(access.shown(Some(b"Bearer nope")), Err(RequestError::Unauthorized));
        assert_eq!(Access::new(Visibility::Always).shown(None), Ok(Shown::ALL));
    }
}
