//! What responses show beyond statuses, and who may see it.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use subtle::ConstantTimeEq;

use super::RequestError;

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

    /// Whether the request may see messages and details; a wrong token is refused.
    pub(crate) fn details_shown(&self, authorization: Option<&[u8]>) -> Result<bool, RequestError> {
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
