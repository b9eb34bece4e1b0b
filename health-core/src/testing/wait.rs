//! Waiting until a route answers as expected, bounded in time or in
//! reports: [`HealthClient::wait_for`].

use std::time::Duration;

use tokio::time::Instant;

use super::client::{HealthClient, Reply, Route};
use crate::Status;

/// How often a wait reads again when nothing tells it of a new report: a
/// service behind an address, or a monitor that runs checks on request.
const POLL: Duration = Duration::from_millis(10);

/// What stands for an unbounded wait.
const YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The bound of a wait ([`HealthClient::wait_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Within {
    /// At most this long, on Tokio's clock.
    Time(Duration),
    /// At most this many reports after the first read: new background
    /// reports, or on request this many reads in all. Needs the client to
    /// count a monitor's reports ([`HealthClient::monitor`] or
    /// [`HealthClient::counting`]).
    Reports(u32),
}

impl HealthClient {
    /// Reads `route` until it answers `code` with `status` in its body, and
    /// returns that answer. It reads again as soon as something may have
    /// changed: at each new background report when the client counts a
    /// monitor in background mode, else every 10 ms; it never waits past
    /// the bound, a read under way included. A read that gets no answer (a
    /// server restarting) is waited out like a wrong one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_core::monitor::Monitor;
    /// use health_core::testing::{HealthClient, ScriptedCheck, Step, Within};
    /// use health_core::{HealthReport, Status};
    ///
    /// #[derive(HealthReport)]
    /// struct Health {
    ///     #[health(critical, timeout = "2s")]
    ///     database: ScriptedCheck,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let database = ScriptedCheck::new([Step::up()]);
    /// let monitor = Monitor::builder(Health { database: database.clone() }, ())
    ///     .refresh_every(Duration::from_millis(500))
    ///     .build()?;
    /// let client = HealthClient::monitor(&monitor)?;
    /// client.wait_for("/health/ready", 200, Status::Up, Within::Reports(1)).await;
    ///
    /// // The database stops answering: DOWN after the check's 2 s timeout, at
    /// // the next report.
    /// database.then([Step::hangs()]);
    /// client.wait_for("/health/ready", 503, Status::Down, Within::Time(Duration::from_secs(3))).await;
    /// database.then([Step::up()]);
    /// client.wait_for("/health/ready", 200, Status::Up, Within::Reports(2)).await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// When the bound passes first, saying how long it waited, how many
    /// reads it made, the last answer (or why there was none) and the whole
    /// report; for [`Within::Reports`], when the client counts no monitor's
    /// reports, or the monitor's refresh stopped.
    pub async fn wait_for(&self, route: impl Into<Route>, code: u16, status: Status, within: Within) -> Reply {
        let route = route.into();
        let started = Instant::now();
        let limit = match within {
            // A bound too far to be told is no bound: a year will do.
            Within::Time(limit) => Some(started.checked_add(limit).unwrap_or_else(|| started + YEAR)),
            Within::Reports(_) => None,
        };
        let counter = match within {
            Within::Reports(_) if self.reports.is_none() => panic!(
                "Within::Reports counts a monitor's reports: build the client with HealthClient::monitor, or call counting(&monitor)"
            ),
            _ => self.reports.as_deref(),
        };
        let background = counter.filter(|counter| counter.in_background());
        let (mut reads, mut reports) = (0u32, 0u32);
        loop {
            // Taken before the read: a report landing during it is waited
            // for at once, never missed.
            let generation = background.map_or(0, |counter| counter.landed());
            let read = match limit {
                Some(limit) => tokio::time::timeout_at(limit, self.get(route.clone())).await.ok(),
                None => Some(self.get(route.clone()).await),
            };
            reads += 1;
            let last = match read {
                Some(Ok(reply)) if reply.is(code, status) => return reply,
                Some(Ok(reply)) => Ok(reply),
                Some(Err(error)) => Err(error.to_string()),
                None => Err(format!("GET {}: no answer before the bound", self.path(&route))),
            };
            let exhausted = match (within, limit) {
                (_, Some(limit)) => Instant::now() >= limit,
                (Within::Reports(most), _) if background.is_some() => reports >= most,
                (Within::Reports(most), _) => reads >= most,
                _ => true,
            };
            if exhausted {
                let context = format!(
                    ", after waiting {:?} ({reads} reads, {reports} new reports) for at most {}",
                    started.elapsed(),
                    match within {
                        Within::Time(limit) => format!("{limit:?}"),
                        Within::Reports(most) => format!("{most} reports"),
                    }
                );
                match last {
                    Ok(reply) => panic!("{}", self.mismatch(&reply, code, status, &context).await),
                    Err(error) => panic!("{error}, expected {code} {status}{context}"),
                }
            }
            // Wait for what may change the answer, never past the bound.
            match (background, limit) {
                (Some(counter), limit) => {
                    let next = counter.next_after(generation);
                    let landed = match limit {
                        Some(limit) => tokio::time::timeout_at(limit, next).await.ok(),
                        None => Some(next.await),
                    };
                    match landed {
                        Some(Some(_)) => reports += 1,
                        Some(None) => {
                            panic!("the background refresh has stopped while waiting for GET {}", self.path(&route))
                        }
                        // The bound passed: the next read is the last.
                        None => {}
                    }
                }
                (None, Some(limit)) => tokio::time::sleep_until((Instant::now() + POLL).min(limit)).await,
                (None, None) => tokio::time::sleep(POLL).await,
            }
        }
    }
}
