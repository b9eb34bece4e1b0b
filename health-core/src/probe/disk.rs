//! Free space of a file system (feature `disk`), with no client crate.
//!
//! Reads the free and total space of the file system holding a path, on a
//! blocking thread (`statvfs` can hang on a network file system). One call
//! per path is under way at a time: a run that finds one waits for it and
//! shares its answer, so concurrent runs answer alike. A call that does not
//! return (a hung mount) outlives the check's timeout on its one thread:
//! runs meanwhile wait for it and are DOWN when their timeout passes, and
//! start no other. The probe reports DEGRADED below the warning threshold
//! (default 10 % free) and DOWN below the critical one (default 5 % free), or
//! when the path cannot be read. "Free" is the space an unprivileged process
//! may still use.
//!
//! ```
//! use health_core::probe::disk::{self, DiskDetails};
//! use health_core::{health_check, Outcome};
//!
//! #[health_check(timeout = "500ms")]
//! async fn data_volume() -> Outcome<DiskDetails> {
//!     disk::space("/var/lib/app").await
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use super::judge::Verdict;
use super::ready_made::ready_made_check;
use super::shared_call::SharedCalls;
use crate::Outcome;

/// How little free space is too little: a share of the total or an amount.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FreeSpace {
    /// Percent of the total size, 0 to 100.
    Percent(f64),
    /// Bytes.
    Bytes(u64),
}

impl FreeSpace {
    fn is_above(&self, free: u64, total: u64) -> bool {
        match *self {
            FreeSpace::Percent(percent) => percent_of(free, total) >= percent,
            FreeSpace::Bytes(bytes) => free >= bytes,
        }
    }
}

impl fmt::Display for FreeSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeSpace::Percent(percent) => write!(f, "{percent}%"),
            FreeSpace::Bytes(bytes) => write!(f, "{bytes} bytes"),
        }
    }
}

/// What the disk probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct DiskDetails {
    /// The path whose file system was read.
    pub path: String,
    /// Bytes an unprivileged process may still write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    /// The file system's size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<u64>,
    /// `free_bytes` as a percentage of `total_bytes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_percent: Option<f64>,
    /// Below this, DEGRADED.
    pub warning: FreeSpace,
    /// Below this, DOWN.
    pub critical: FreeSpace,
}

/// The disk probe's thresholds.
#[derive(Debug, Clone)]
pub struct DiskOptions {
    warning: FreeSpace,
    critical: FreeSpace,
}

impl Default for DiskOptions {
    fn default() -> Self {
        DiskOptions { warning: FreeSpace::Percent(10.0), critical: FreeSpace::Percent(5.0) }
    }
}

impl DiskOptions {
    /// The defaults: warning below 10 % free, critical below 5 %.
    pub fn new() -> Self {
        Self::default()
    }

    /// DEGRADED below this much free space.
    #[must_use]
    pub fn warning(mut self, threshold: FreeSpace) -> Self {
        self.warning = threshold;
        self
    }

    /// DOWN below this much free space.
    #[must_use]
    pub fn critical(mut self, threshold: FreeSpace) -> Self {
        self.critical = threshold;
        self
    }
}

/// Reads the free space of the file system holding `path`, with the default thresholds.
pub async fn space(path: impl AsRef<Path>) -> Outcome<DiskDetails> {
    space_with(path, &DiskOptions::new()).await
}

/// Reads the free space of the file system holding `path`, with the given thresholds.
pub async fn space_with(path: impl AsRef<Path>, options: &DiskOptions) -> Outcome<DiskDetails> {
    let path = path.as_ref();
    let mut details = DiskDetails {
        path: path.display().to_string(),
        free_bytes: None,
        total_bytes: None,
        free_percent: None,
        warning: options.warning,
        critical: options.critical,
    };
    // A hung file system blocks `statvfs` for good: one call at a time per
    // path, shared by the runs that need it meanwhile.
    let owned = path.to_owned();
    let statvfs = move || {
        let stats = fs4::statvfs(&owned).map_err(|error| error.to_string())?;
        Ok(Space { free: stats.available_space(), total: stats.total_space() })
    };
    let Space { free, total } = match STATVFS.call(path.to_owned(), statvfs).await {
        Ok(space) => space,
        Err(error) => return Verdict::down(format!("cannot read {}: {error}", details.path)).with(details),
    };
    details.free_bytes = Some(free);
    details.total_bytes = Some(total);
    details.free_percent = Some(percent_of(free, total));
    let shown = format!("{:.1}% free ({free} of {total} bytes)", percent_of(free, total));
    let verdict = if !options.critical.is_above(free, total) {
        Verdict::down(format!("{shown}, below the critical {}", options.critical))
    } else if !options.warning.is_above(free, total) {
        Verdict::degraded(format!("{shown}, below the warning {}", options.warning))
    } else {
        Verdict::up()
    };
    verdict.with(details)
}

/// The `statvfs` calls under way, by path.
static STATVFS: SharedCalls<PathBuf, Space> = SharedCalls::new();

/// What `statvfs` tells: bytes an unprivileged process may write, and the size.
#[derive(Debug, Clone, Copy)]
struct Space {
    free: u64,
    total: u64,
}

fn percent_of(free: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { free as f64 * 100.0 / total as f64 }
}

ready_made_check! {
    /// A [`Check`](crate::Check) reading the free space of a path, for a [`Registry`](crate::Registry).
    ///
    /// ```
    /// use health_core::probe::disk::SpaceCheck;
    /// use health_core::Registry;
    ///
    /// let mut registry: Registry = Registry::new();
    /// registry.register("data", SpaceCheck::new("/var/lib/app")).unwrap();
    /// # let _ = registry;
    /// ```
    SpaceCheck(PathBuf), DiskOptions => DiskDetails, space_with
}
