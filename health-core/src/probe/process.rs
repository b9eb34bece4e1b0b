//! The process itself: its memory against the limit that applies to it, and
//! its open file descriptors against `RLIMIT_NOFILE`. No client crate.
//!
//! Memory is measured against the first limit found, in this order:
//!
//! 1. the cgroup v2 limit of the process's own cgroup (`memory.max`), with
//!    its usage (`memory.current`);
//! 2. the cgroup v1 limit (`memory.limit_in_bytes`, `memory.usage_in_bytes`);
//! 3. a limit set in the options;
//! 4. the machine's total memory (`MemTotal` in `/proc/meminfo`).
//!
//! Against a cgroup limit, usage is the cgroup's less its inactive file
//! cache, the working set the kernel reclaims last and Kubernetes evicts by;
//! against the others, the process's resident set (`VmRSS`). The probe
//! reports DEGRADED above the warning threshold (default 85 % of the limit)
//! and DOWN above the critical one (default 95 %).
//!
//! Both probes read Linux's `/proc` and cgroup files, which the kernel
//! answers from memory: they do not block. On other platforms they compile,
//! report UP and say in their message that they measured nothing.
//!
//! ```
//! use health_core::probe::process::{self, DescriptorDetails, MemoryDetails};
//! use health_core::{health_check, Outcome};
//!
//! #[health_check(timeout = "500ms")]
//! async fn memory() -> Outcome<MemoryDetails> {
//!     process::memory().await
//! }
//!
//! #[health_check(timeout = "500ms")]
//! async fn descriptors() -> Outcome<DescriptorDetails> {
//!     process::descriptors().await
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use super::judge::Verdict;
use crate::{Check, Outcome};

/// How much is too much: a share of the limit or an amount.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Usage {
    /// Percent of the limit, 0 to 100.
    Percent(f64),
    /// An amount: bytes of memory, or descriptors.
    Amount(u64),
}

impl Usage {
    fn is_exceeded_by(&self, used: u64, limit: u64) -> bool {
        match *self {
            Usage::Percent(percent) => percent_of(used, limit) > percent,
            Usage::Amount(amount) => used > amount,
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Usage::Percent(percent) => write!(f, "{percent}%"),
            Usage::Amount(amount) => write!(f, "{amount}"),
        }
    }
}

/// `new`, `warning` and `critical` of the options `$options` of a probe
/// that measures `$what`.
macro_rules! usage_thresholds {
    ($options:ident, $what:literal, $defaults:literal) => {
        impl $options {
            #[doc = $defaults]
            pub fn new() -> Self {
                Self::default()
            }

            #[doc = concat!("DEGRADED above this much ", $what, ".")]
            #[must_use]
            pub fn warning(mut self, threshold: Usage) -> Self {
                self.warning = threshold;
                self
            }

            #[doc = concat!("DOWN above this much ", $what, ".")]
            #[must_use]
            pub fn critical(mut self, threshold: Usage) -> Self {
                self.critical = threshold;
                self
            }
        }
    };
}

/// Where the memory limit the probe measured against came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LimitSource {
    /// The process's cgroup v2 `memory.max`.
    CgroupV2,
    /// The process's cgroup v1 `memory.limit_in_bytes`.
    CgroupV1,
    /// [`MemoryOptions::limit`].
    Configured,
    /// The machine's total memory.
    TotalMemory,
    /// Nothing could be read (not Linux).
    Unknown,
}

/// What the memory probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct MemoryDetails {
    /// Bytes in use, as measured against the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_bytes: Option<u64>,
    /// The limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_bytes: Option<u64>,
    /// `used_bytes` as a percentage of `limit_bytes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_percent: Option<f64>,
    /// Which limit applied.
    pub limit_source: LimitSource,
    /// The process's resident set (`VmRSS`), in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_bytes: Option<u64>,
    /// Above this, DEGRADED.
    pub warning: Usage,
    /// Above this, DOWN.
    pub critical: Usage,
}

/// The memory probe's thresholds, and where it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryOptions {
    warning: Usage,
    critical: Usage,
    limit: Option<u64>,
    files: ProcFiles,
}

impl Default for MemoryOptions {
    fn default() -> Self {
        MemoryOptions {
            warning: Usage::Percent(85.0),
            critical: Usage::Percent(95.0),
            limit: None,
            files: ProcFiles::default(),
        }
    }
}

usage_thresholds!(
    MemoryOptions,
    "memory in use",
    "The defaults: warning above 85 % of the limit, critical above 95 %."
);

impl MemoryOptions {
    /// The limit to measure against when no cgroup sets one, in bytes,
    /// instead of the machine's total memory.
    #[must_use]
    pub fn limit(mut self, bytes: u64) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Where `/proc` and the cgroup file system are mounted: for containers
    /// that mount them elsewhere, and for tests.
    #[must_use]
    pub fn mounts(mut self, proc: impl Into<PathBuf>, cgroup: impl Into<PathBuf>) -> Self {
        self.files = ProcFiles { proc: proc.into(), cgroup: cgroup.into() };
        self
    }
}

/// Where the probes read: `/proc` and the cgroup file system.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProcFiles {
    proc: PathBuf,
    cgroup: PathBuf,
}

impl Default for ProcFiles {
    fn default() -> Self {
        ProcFiles { proc: PathBuf::from("/proc"), cgroup: PathBuf::from("/sys/fs/cgroup") }
    }
}

/// The process's memory against its limit, with the default options.
pub async fn memory() -> Outcome<MemoryDetails> {
    memory_with(&MemoryOptions::new()).await
}

/// The process's memory against its limit, with the given options.
pub async fn memory_with(options: &MemoryOptions) -> Outcome<MemoryDetails> {
    let mut details = MemoryDetails {
        used_bytes: None,
        limit_bytes: None,
        used_percent: None,
        limit_source: LimitSource::Unknown,
        rss_bytes: None,
        warning: options.warning,
        critical: options.critical,
    };
    if !cfg!(target_os = "linux") {
        return Outcome::up(details).with_message("process memory is not measured on this platform");
    }
    let files = &options.files;
    details.rss_bytes = status_kib(&files.proc.join("self/status"), "VmRSS:").map(|kib| kib * 1024);
    let measured = cgroup::limit(files)
        .or_else(|| Some(Measured { used: details.rss_bytes?, limit: options.limit?, source: LimitSource::Configured }))
        .or_else(|| {
            let total = status_kib(&files.proc.join("meminfo"), "MemTotal:")? * 1024;
            Some(Measured { used: details.rss_bytes?, limit: total, source: LimitSource::TotalMemory })
        });
    let Some(Measured { used, limit, source }) = measured else {
        return Verdict::down(format!("cannot read the memory of the process in {}", files.proc.display()))
            .with(details);
    };
    details.used_bytes = Some(used);
    details.limit_bytes = Some(limit);
    details.used_percent = Some(percent_of(used, limit));
    details.limit_source = source;
    let shown = format!("{:.1}% of the limit in use ({used} of {limit} bytes)", percent_of(used, limit));
    judge(&shown, used, limit, options.warning, options.critical).with(details)
}

/// Memory in use against a limit, and where the limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Measured {
    used: u64,
    limit: u64,
    source: LimitSource,
}

/// DOWN above `critical`, DEGRADED above `warning`.
fn judge(shown: &str, used: u64, limit: u64, warning: Usage, critical: Usage) -> Verdict {
    if critical.is_exceeded_by(used, limit) {
        Verdict::down(format!("{shown}, above the critical {critical}"))
    } else if warning.is_exceeded_by(used, limit) {
        Verdict::degraded(format!("{shown}, above the warning {warning}"))
    } else {
        Verdict::up()
    }
}

mod cgroup {
    //! The memory limit and usage of the process's own cgroup.

    use std::path::{Path, PathBuf};

    use super::{LimitSource, Measured, ProcFiles, read_number};

    /// The limit of the process's cgroup, v2 first, if one is set.
    pub(super) fn limit(files: &ProcFiles) -> Option<Measured> {
        let membership = std::fs::read_to_string(files.proc.join("self/cgroup")).ok()?;
        v2(files, &membership).or_else(|| v1(files, &membership))
    }

    /// The cgroup's directory: under the mount as `/proc/self/cgroup` names
    /// it, or the mount itself in a container whose cgroup namespace makes
    /// it the root.
    fn directory(mount: &Path, path: &str, file: &str) -> Option<PathBuf> {
        let named = mount.join(path.trim_start_matches('/'));
        [named, mount.to_path_buf()].into_iter().find(|directory| directory.join(file).is_file())
    }

    /// cgroup v2: the `0::/path` line; `memory.max` is `max` when unlimited.
    fn v2(files: &ProcFiles, membership: &str) -> Option<Measured> {
        let path = membership.lines().find_map(|line| line.strip_prefix("0::"))?;
        let mounts = [files.cgroup.clone(), files.cgroup.join("unified")];
        let directory = mounts.iter().find_map(|mount| directory(mount, path, "memory.max"))?;
        let limit = read_number(&directory.join("memory.max"))?;
        let current = read_number(&directory.join("memory.current"))?;
        let inactive = stat(&directory.join("memory.stat"), "inactive_file").unwrap_or(0);
        Some(Measured { used: current.saturating_sub(inactive), limit, source: LimitSource::CgroupV2 })
    }

    /// cgroup v1: the line whose controllers include `memory`; an
    /// unlimited group shows a limit near `i64::MAX`.
    fn v1(files: &ProcFiles, membership: &str) -> Option<Measured> {
        let path = membership.lines().find_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            controllers.split(',').any(|controller| controller == "memory").then_some(path)
        })?;
        let directory = directory(&files.cgroup.join("memory"), path, "memory.limit_in_bytes")?;
        let limit = read_number(&directory.join("memory.limit_in_bytes")).filter(|&limit| limit < UNLIMITED_V1)?;
        let usage = read_number(&directory.join("memory.usage_in_bytes"))?;
        let inactive = stat(&directory.join("memory.stat"), "total_inactive_file").unwrap_or(0);
        Some(Measured { used: usage.saturating_sub(inactive), limit, source: LimitSource::CgroupV1 })
    }

    /// cgroup v1 writes "no limit" as `i64::MAX` rounded down to a page; any
    /// limit from 2^62 bytes up is no limit.
    const UNLIMITED_V1: u64 = 1 << 62;

    /// A `key value` line of a `memory.stat` file.
    fn stat(file: &Path, key: &str) -> Option<u64> {
        let text = std::fs::read_to_string(file).ok()?;
        text.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
    }
}

/// A file holding one number; `max` (cgroup v2's "no limit") is none.
fn read_number(file: &Path) -> Option<u64> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// The kibibytes of a `Key:   123 kB` line of `/proc/self/status` or `/proc/meminfo`.
fn status_kib(file: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find_map(|line| line.strip_prefix(key))?;
    line.split_whitespace().next()?.parse().ok()
}

fn percent_of(used: u64, limit: u64) -> f64 {
    if limit == 0 { 100.0 } else { used as f64 * 100.0 / limit as f64 }
}

/// What the descriptor probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct DescriptorDetails {
    /// Descriptors the process has open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<u64>,
    /// The soft `RLIMIT_NOFILE`: how many it may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// `open` as a percentage of `limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_percent: Option<f64>,
    /// Above this, DEGRADED.
    pub warning: Usage,
    /// Above this, DOWN.
    pub critical: Usage,
}

/// The descriptor probe's thresholds, and where it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct DescriptorOptions {
    warning: Usage,
    critical: Usage,
    files: ProcFiles,
}

impl Default for DescriptorOptions {
    fn default() -> Self {
        DescriptorOptions { warning: Usage::Percent(80.0), critical: Usage::Percent(95.0), files: ProcFiles::default() }
    }
}

usage_thresholds!(
    DescriptorOptions,
    "open descriptors",
    "The defaults: warning above 80 % of the limit, critical above 95 %."
);

impl DescriptorOptions {
    /// Where `/proc` is mounted.
    #[must_use]
    pub fn proc_mount(mut self, proc: impl Into<PathBuf>) -> Self {
        self.files.proc = proc.into();
        self
    }
}

/// The process's open file descriptors against its limit, with the default options.
pub async fn descriptors() -> Outcome<DescriptorDetails> {
    descriptors_with(&DescriptorOptions::new()).await
}

/// The process's open file descriptors against its limit, with the given options.
pub async fn descriptors_with(options: &DescriptorOptions) -> Outcome<DescriptorDetails> {
    let mut details = DescriptorDetails {
        open: None,
        limit: None,
        used_percent: None,
        warning: options.warning,
        critical: options.critical,
    };
    if !cfg!(target_os = "linux") {
        return Outcome::up(details).with_message("file descriptors are not counted on this platform");
    }
    let proc = &options.files.proc;
    let (Some(open), Some(limit)) = (open_descriptors(proc), descriptor_limit(proc)) else {
        return Verdict::down(format!("cannot read the descriptors of the process in {}", proc.display()))
            .with(details);
    };
    details.open = Some(open);
    details.limit = Some(limit);
    details.used_percent = Some(percent_of(open, limit));
    let shown = format!("{open} of {limit} file descriptors open ({:.1}%)", percent_of(open, limit));
    judge(&shown, open, limit, options.warning, options.critical).with(details)
}

/// Entries of `/proc/self/fd`, less the one listing them.
fn open_descriptors(proc: &Path) -> Option<u64> {
    let entries = std::fs::read_dir(proc.join("self/fd")).ok()?.count() as u64;
    Some(entries.saturating_sub(1))
}

/// The soft limit of `Max open files` in `/proc/self/limits`; `unlimited` is none.
fn descriptor_limit(proc: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(proc.join("self/limits")).ok()?;
    let line = text.lines().find_map(|line| line.strip_prefix("Max open files"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// A [`Check`] of the process's memory, for a [`Registry`](crate::Registry).
///
/// ```
/// use health_core::probe::process::MemoryCheck;
/// use health_core::Registry;
///
/// let mut registry: Registry = Registry::new();
/// registry.register("memory", MemoryCheck::default()).unwrap();
/// # let _ = registry;
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryCheck {
    options: MemoryOptions,
}

impl MemoryCheck {
    /// A check with these options.
    pub fn new(options: MemoryOptions) -> Self {
        MemoryCheck { options }
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for MemoryCheck {
    type Details = MemoryDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<MemoryDetails>> + Send {
        memory_with(&self.options)
    }
}

/// A [`Check`] of the process's open file descriptors, for a
/// [`Registry`](crate::Registry).
///
/// ```
/// use health_core::probe::process::DescriptorCheck;
/// use health_core::Registry;
///
/// let mut registry: Registry = Registry::new();
/// registry.register("descriptors", DescriptorCheck::default()).unwrap();
/// # let _ = registry;
/// ```
#[derive(Debug, Clone, Default)]
pub struct DescriptorCheck {
    options: DescriptorOptions,
}

impl DescriptorCheck {
    /// A check with these options.
    pub fn new(options: DescriptorOptions) -> Self {
        DescriptorCheck { options }
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for DescriptorCheck {
    type Details = DescriptorDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<DescriptorDetails>> + Send {
        descriptors_with(&self.options)
    }
}
