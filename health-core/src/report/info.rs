//! What is known of a component without running it.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::DEFAULT_TIMEOUT;
use crate::group;

/// Facts about one component of a report, known without running it: its name,
/// criticality, timeout, description and probe groups.
///
/// A `#[derive(HealthReport)]` struct lists its components in
/// [`HealthReport::COMPONENTS`](crate::HealthReport::COMPONENTS); a
/// [`Registry`](crate::Registry) builds them as checks are registered.
///
/// ```
/// use std::time::Duration;
/// use health_core::report::ComponentInfo;
///
/// let info = ComponentInfo::new("database")
///     .with_critical(true)
///     .with_timeout(Duration::from_secs(2))
///     .with_groups(["readiness", "batch-jobs"]);
/// assert_eq!(info.name(), "database");
/// assert!(info.is_critical() && info.in_group("batch-jobs") && !info.in_group("liveness"));
/// // Unless set, the defaults of a check that names nothing.
/// assert_eq!(ComponentInfo::new("cache").groups().collect::<Vec<_>>(), ["readiness", "startup"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentInfo {
    name: Cow<'static, str>,
    critical: bool,
    timeout: Duration,
    description: Option<Cow<'static, str>>,
    groups: Groups,
}

/// The probe groups of a component: a list known at compile time, or one
/// given at run time.
#[derive(Clone)]
enum Groups {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

impl Groups {
    fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        let (fixed, owned): (&[&str], &[String]) = match self {
            Groups::Static(groups) => (groups, &[]),
            Groups::Owned(groups) => (&[], groups),
        };
        // One of the two is empty: a single iterator type for both forms.
        fixed.iter().copied().chain(owned.iter().map(String::as_str))
    }
}

impl PartialEq for Groups {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Groups {}

impl fmt::Debug for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl ComponentInfo {
    /// A component named `name`, with the defaults of a check that sets
    /// nothing: not critical, [`DEFAULT_TIMEOUT`], no description, [`group::DEFAULT`].
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        ComponentInfo {
            name: name.into(),
            critical: false,
            timeout: DEFAULT_TIMEOUT,
            description: None,
            groups: Groups::Static(group::DEFAULT),
        }
    }

    /// Everything at once, for the derive's `const` list of components.
    pub(crate) const fn from_static(
        name: &'static str,
        critical: bool,
        timeout: Duration,
        description: Option<&'static str>,
        groups: &'static [&'static str],
    ) -> Self {
        let description = match description {
            Some(text) => Some(Cow::Borrowed(text)),
            None => None,
        };
        ComponentInfo { name: Cow::Borrowed(name), critical, timeout, description, groups: Groups::Static(groups) }
    }

    /// Sets whether the component being DOWN makes the report DOWN.
    #[must_use]
    pub fn with_critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Sets how long one run may take.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets what the component checks.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the probe groups (see [`group`](crate::group)).
    #[must_use]
    pub fn with_groups<G: Into<String>>(mut self, groups: impl IntoIterator<Item = G>) -> Self {
        self.groups = Groups::Owned(groups.into_iter().map(Into::into).collect());
        self
    }

    /// The component's name in the report.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it being DOWN makes the report DOWN.
    pub fn is_critical(&self) -> bool {
        self.critical
    }

    /// How long one run may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// What it checks, from the check function's documentation.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The probe groups it belongs to.
    pub fn groups(&self) -> impl Iterator<Item = &str> + Clone {
        self.groups.iter()
    }

    /// Whether it belongs to `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().any(|own| own == group)
    }
}
