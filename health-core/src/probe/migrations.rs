//! Whether the database's schema is the one the application was built for
//! (feature `migrations`, with `postgres`, `mysql` or `sqlite`): the
//! migrations embedded in the application (`sqlx::migrate!()`'s
//! [`Migrator`]) against those the database has applied, read from sqlx's
//! migrations table on a connection of the application's pool.
//!
//! It only reads: it never runs, repairs or reverts a migration, and never
//! creates the migrations table. Its statuses:
//!
//! - DOWN when a migration of the application is not applied (pending), when
//!   an applied migration failed part-way (dirty), or when one applied has a
//!   checksum other than the application's (its file changed after it ran);
//! - DEGRADED when the database has applied a migration the application does
//!   not know, as during a rolling update when a newer version migrated
//!   first; UP instead when the migrator ignores missing migrations;
//! - UP otherwise, with the latest applied version.
//!
//! It belongs in the startup and readiness groups: a pod is not ready before
//! its schema is.
//!
//! ```
//! use health_core::probe::migrations::{self, MigrationDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     pool: sqlx::PgPool,
//!     /// `sqlx::migrate!()`, in an application.
//!     migrator: sqlx::migrate::Migrator,
//! }
//!
//! #[health_check(timeout = "2s", critical, groups(startup, readiness))]
//! async fn schema(state: &AppState) -> Outcome<MigrationDetails> {
//!     migrations::applied(&state.pool, &state.migrator).await
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;
use sqlx::migrate::{Migrate, Migrator};

use super::judge::{Stopwatch, Verdict, describe};
use crate::Outcome;

/// sqlx's migrations table, unless the migrator was given another
/// (`sqlx.toml`'s `migrate.table-name`, `Migrator::dangerous_set_table_name`).
pub const DEFAULT_TABLE: &str = "_sqlx_migrations";

/// A migration, as the details name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct MigrationName {
    /// Its version.
    pub version: i64,
    /// Its description, from its file name.
    pub description: String,
}

/// What the migrations probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct MigrationDetails {
    /// The latest version the database has applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_applied: Option<i64>,
    /// The latest version the application knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_known: Option<i64>,
    /// Migrations the database has applied.
    pub applied: usize,
    /// The application's migrations the database has not applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<MigrationName>,
    /// Applied migrations whose checksum is not the application's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<MigrationName>,
    /// The version of a migration that failed part-way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty: Option<i64>,
    /// Applied versions the application does not know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<i64>,
    /// How long reading the table took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// Where the probe reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationOptions {
    table: Option<String>,
}

impl MigrationOptions {
    /// The migrator's own table: [`DEFAULT_TABLE`], or the one `sqlx.toml`
    /// or `Migrator::dangerous_set_table_name` gave it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Another migrations table than the migrator's.
    #[must_use]
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = Some(name.into());
        self
    }
}

/// The migrations of `migrator` against those the database of `pool` has
/// applied, in the migrator's table.
pub async fn applied<DB>(pool: &sqlx::Pool<DB>, migrator: &Migrator) -> Outcome<MigrationDetails>
where
    DB: sqlx::Database,
    DB::Connection: Migrate,
{
    applied_with(pool, migrator, &MigrationOptions::new()).await
}

/// [`applied`], reading the table `options` names.
pub async fn applied_with<DB>(
    pool: &sqlx::Pool<DB>,
    migrator: &Migrator,
    options: &MigrationOptions,
) -> Outcome<MigrationDetails>
where
    DB: sqlx::Database,
    DB::Connection: Migrate,
{
    // The application's migrations that apply forwards, by version.
    let known: BTreeMap<i64, &sqlx::migrate::Migration> = migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| (migration.version, migration))
        .collect();
    let mut details = MigrationDetails {
        latest_applied: None,
        latest_known: known.keys().next_back().copied(),
        applied: 0,
        pending: Vec::new(),
        changed: Vec::new(),
        dirty: None,
        unknown: Vec::new(),
        latency_ms: None,
    };
    // `migrate!()` and `dangerous_set_table_name` set the migrator's table;
    // sqlx reads the same field when it migrates.
    let table = options.table.as_deref().unwrap_or(&migrator.table_name);
    let stopwatch = Stopwatch::start();
    let read = async {
        let mut connection = pool.acquire().await.map_err(|error| describe(&error))?;
        let dirty = connection.dirty_version(table).await.map_err(|error| describe(&error))?;
        let applied = connection.list_applied_migrations(table).await.map_err(|error| describe(&error))?;
        Ok::<_, String>((dirty, applied))
    };
    let (dirty, applied) = match read.await {
        Ok(read) => read,
        Err(error) => {
            return Verdict::down(format!("cannot read the applied migrations from {table}: {error}")).with(details);
        }
    };
    details.latency_ms = stopwatch.stop().ms();
    details.dirty = dirty;
    details.applied = applied.len();
    details.latest_applied = applied.iter().map(|migration| migration.version).max();
    let name = |migration: &sqlx::migrate::Migration| MigrationName {
        version: migration.version,
        description: migration.description.to_string(),
    };
    for done in &applied {
        match known.get(&done.version) {
            Some(migration) if migration.checksum != done.checksum => details.changed.push(name(migration)),
            Some(_) => {}
            None => details.unknown.push(done.version),
        }
    }
    let applied_versions: std::collections::BTreeSet<i64> = applied.iter().map(|migration| migration.version).collect();
    details.pending =
        known.values().filter(|migration| !applied_versions.contains(&migration.version)).map(|m| name(m)).collect();
    judge(&details, migrator.ignore_missing).with(details)
}

/// DOWN when pending, dirty or changed; DEGRADED when the database is ahead.
fn judge(details: &MigrationDetails, ignore_missing: bool) -> Verdict {
    let listed = |migrations: &[MigrationName]| {
        let mut text = String::new();
        for (index, migration) in migrations.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(text, "{separator}{} {}", migration.version, migration.description);
        }
        text
    };
    if let Some(version) = details.dirty {
        Verdict::down(format!("migration {version} failed part-way: the schema is dirty"))
    } else if !details.changed.is_empty() {
        Verdict::down(format!("applied migrations changed since they ran: {}", listed(&details.changed)))
    } else if !details.pending.is_empty() {
        Verdict::down(format!("{} pending: {}", details.pending.len(), listed(&details.pending)))
    } else if !details.unknown.is_empty() && !ignore_missing {
        let versions: Vec<String> = details.unknown.iter().map(i64::to_string).collect();
        Verdict::degraded(format!("the database applied migrations this build does not know: {}", versions.join(", ")))
    } else {
        Verdict::up()
    }
}

/// A [`Check`](crate::Check) of the migrations of a migrator the application
/// holds for good (`sqlx::migrate!()` in a `static`), on its pool, for a
/// [`Registry`](crate::Registry).
///
/// ```
/// use health_core::probe::migrations::MigrationsCheck;
/// use health_core::{CheckOptions, Registry};
///
/// static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT; // sqlx::migrate!()
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = sqlx::PgPool::connect_lazy("postgres://localhost/app")?;
/// let mut registry: Registry = Registry::new();
/// let gate = CheckOptions::new().critical(true).groups(["startup", "readiness"]);
/// registry.register_with("migrations", MigrationsCheck::new(pool, &MIGRATOR), gate)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MigrationsCheck<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    migrator: &'static Migrator,
    options: MigrationOptions,
}

impl<DB: sqlx::Database> MigrationsCheck<DB> {
    /// A check of `migrator`'s migrations on `pool`'s database, in the migrator's table.
    pub fn new(pool: sqlx::Pool<DB>, migrator: &'static Migrator) -> Self {
        MigrationsCheck { pool, migrator, options: MigrationOptions::new() }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: MigrationOptions) -> Self {
        self.options = options;
        self
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<DB, S: ?Sized + Sync> crate::Check<S> for MigrationsCheck<DB>
where
    DB: sqlx::Database,
    DB::Connection: Migrate,
{
    type Details = MigrationDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<MigrationDetails>> + Send {
        applied_with(&self.pool, self.migrator, &self.options)
    }
}
