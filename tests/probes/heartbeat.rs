//! Heartbeats of background work, on Tokio's paused clock: each status at
//! the age that brings it, failures, the start-up grace, and a job whose
//! task ends, panics or declares that it finished.

use std::time::Duration;

use health_core::Status;
use health_core::monitor::Monitor;
use health_core::probe::heartbeat::{self, Heartbeat, HeartbeatOptions, JobState};

use crate::support::{details, read_concurrently, read_once, registry_of, report_of, verdict};

const EVERY: Duration = Duration::from_secs(10);

fn heartbeat() -> Heartbeat {
    Heartbeat::new(HeartbeatOptions::every(EVERY))
}

/// The status and message the heartbeat reports now, through a report.
async fn status(heartbeat: &Heartbeat) -> (Status, String) {
    verdict(&report_of(heartbeat.clone(), Duration::from_secs(1)).await)
}

async fn advance(by: Duration) {
    tokio::time::advance(by).await;
}

#[tokio::test(start_paused = true)]
async fn beats_within_the_interval_are_up_late_ones_degraded_stale_ones_down() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    pulse.alive();
    assert_eq!(status(&jobs).await.0, Status::Up);
    // Late after two intervals, stale after five (the defaults).
    advance(Duration::from_secs(20)).await;
    assert_eq!(status(&jobs).await.0, Status::Up, "exactly at the threshold");
    advance(Duration::from_secs(1)).await;
    let (late, message) = status(&jobs).await;
    assert_eq!(late, Status::Degraded);
    assert_eq!(message, "late: last beat 21.0 s ago, above the 20.0 s threshold");
    advance(Duration::from_secs(30)).await;
    let (stale, message) = status(&jobs).await;
    assert_eq!(stale, Status::Down);
    assert_eq!(message, "stale: last beat 51.0 s ago, above the 50.0 s limit");
    // A beat brings it back.
    pulse.alive();
    assert_eq!(status(&jobs).await.0, Status::Up);
}

#[tokio::test(start_paused = true)]
async fn the_thresholds_are_options() {
    let options =
        HeartbeatOptions::every(EVERY).late_after(Duration::from_secs(11)).stale_after(Duration::from_secs(12));
    let jobs = Heartbeat::new(options);
    let pulse = jobs.pulse();
    pulse.alive();
    advance(Duration::from_millis(11_500)).await;
    assert_eq!(status(&jobs).await.0, Status::Degraded);
    advance(Duration::from_secs(1)).await;
    assert_eq!(status(&jobs).await.0, Status::Down);
}

#[tokio::test(start_paused = true)]
async fn before_the_first_beat_the_grace_holds_then_it_is_down() {
    let jobs = Heartbeat::new(HeartbeatOptions::every(EVERY).grace(Duration::from_secs(30)));
    let _pulse = jobs.pulse();
    advance(Duration::from_secs(30)).await;
    let (status_in_grace, _) = status(&jobs).await;
    assert_eq!(status_in_grace, Status::Up);
    let report = report_of(jobs.clone(), Duration::from_secs(1)).await;
    assert!(details(&report).get("last_beat_age_ms").is_none(), "{}", details(&report));
    advance(Duration::from_secs(1)).await;
    assert_eq!(status(&jobs).await, (Status::Down, "no beat within the start-up grace of 30.0 s".to_owned()));
    // The default grace is the stale limit.
    assert_eq!(HeartbeatOptions::every(EVERY).grace_period(), Duration::from_secs(50));
}

#[tokio::test(start_paused = true)]
async fn a_failed_run_is_degraded_three_in_a_row_down_and_a_success_clears_them() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    pulse.succeeded();
    pulse.failed("sync failed: password=hunter2 rejected");
    let (one, message) = status(&jobs).await;
    assert_eq!(one, Status::Degraded);
    assert_eq!(message, "the last run failed: sync failed: password=*** rejected");
    pulse.report(&Err::<(), _>("timeout"));
    pulse.report(&Err::<(), _>("timeout again"));
    let (three, message) = status(&jobs).await;
    assert_eq!(three, Status::Down);
    assert_eq!(message, "the last 3 runs failed, the last with: timeout again");
    let report = report_of(jobs.clone(), Duration::from_secs(1)).await;
    let figures = details(&report);
    assert_eq!(figures["beats"], 4);
    assert_eq!(figures["successes"], 1);
    assert_eq!(figures["failures"], 3);
    assert_eq!(figures["consecutive_failures"], 3);
    assert_eq!(figures["last_failure"], "timeout again");
    assert_eq!(figures["expected_interval_ms"], 10_000.0);
    pulse.report(&Ok::<_, String>(()));
    assert_eq!(status(&jobs).await.0, Status::Up);
    let figures = details(&report_of(jobs.clone(), Duration::from_secs(1)).await);
    assert_eq!(figures["consecutive_failures"], 0);
    assert_eq!(figures["last_failure"], "timeout again", "the last failure stays told");
}

#[tokio::test(start_paused = true)]
async fn failures_down_sets_how_many_failures_in_a_row_are_down() {
    let jobs = Heartbeat::new(HeartbeatOptions::every(EVERY).failures_down(1));
    let pulse = jobs.pulse();
    pulse.failed("refused");
    assert_eq!(status(&jobs).await, (Status::Down, "the last 1 runs failed, the last with: refused".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_loop_alive_without_success_is_down_after_success_within() {
    let jobs = Heartbeat::new(HeartbeatOptions::every(EVERY).success_within(Duration::from_secs(60)));
    let pulse = jobs.pulse();
    pulse.succeeded();
    for _ in 0..6 {
        advance(EVERY).await;
        pulse.alive();
    }
    assert_eq!(status(&jobs).await.0, Status::Up, "60 s since the success, at the limit");
    advance(EVERY).await;
    pulse.alive();
    let (status_now, message) = status(&jobs).await;
    assert_eq!(status_now, Status::Down);
    assert_eq!(message, "no successful run for 70.0 s, above the 60.0 s limit");
    let figures = details(&report_of(jobs.clone(), Duration::from_secs(1)).await);
    assert_eq!(figures["last_beat_age_ms"], 0.0);
    assert_eq!(figures["last_success_age_ms"], 70_000.0);

    // Never a success: counted from the start.
    let never = Heartbeat::new(HeartbeatOptions::every(EVERY).success_within(Duration::from_secs(30)));
    let pulse = never.pulse();
    advance(Duration::from_secs(31)).await;
    pulse.alive();
    assert_eq!(status(&never).await, (Status::Down, "no successful run since the start, 31.0 s ago".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_job_whose_pulses_are_all_dropped_stopped_unless_it_finished() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    let clone = pulse.clone();
    pulse.alive();
    drop(pulse);
    assert_eq!(status(&jobs).await.0, Status::Up, "a clone still holds the job");
    drop(clone);
    assert_eq!(status(&jobs).await, (Status::Down, "the job stopped".to_owned()));
    let figures = details(&report_of(jobs.clone(), Duration::from_secs(1)).await);
    assert_eq!(figures["state"], "stopped");

    // A pulse taken again restarts the job.
    let restarted = jobs.pulse();
    restarted.alive();
    assert_eq!(status(&jobs).await.0, Status::Up);
    // A job that declares its end stays UP, however old its last beat.
    restarted.finished();
    advance(Duration::from_secs(3600)).await;
    assert_eq!(status(&jobs).await.0, Status::Up);
    assert_eq!(details(&report_of(jobs.clone(), Duration::from_secs(1)).await)["state"], "finished");
}

#[tokio::test(start_paused = true)]
async fn a_spawned_job_that_panics_is_down_and_says_so() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    let task = tokio::spawn(async move {
        pulse.alive();
        panic!("the job's bug");
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(status(&jobs).await, (Status::Down, "the job stopped: it panicked".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_tokio_interval_job_in_two_lines_keeps_it_up() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    let job = tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            pulse.report(&Ok::<_, std::io::Error>(()));
        }
    });
    for _ in 0..10 {
        advance(EVERY).await;
        assert_eq!(status(&jobs).await.0, Status::Up);
    }
    job.abort();
    let _ = job.await;
    assert_eq!(status(&jobs).await.0, Status::Down, "an aborted task drops its pulse");
}

#[tokio::test(start_paused = true)]
async fn sixty_four_concurrent_reads_answer_as_one() {
    let jobs = heartbeat();
    let pulse = jobs.pulse();
    pulse.failed("refused");
    advance(Duration::from_secs(25)).await;
    let monitor = Monitor::new(registry_of(jobs.clone(), Duration::from_secs(1)), ());
    let one = read_once(&monitor).await;
    assert_eq!(one, (Status::Degraded, "late: last beat 25.0 s ago, above the 20.0 s threshold".to_owned()));
    for answer in read_concurrently(&monitor).await {
        assert_eq!(answer, one);
    }
    let direct = heartbeat::read(&jobs).await;
    assert_eq!(direct.status(), Status::Degraded);
    assert_eq!(direct.details().map(|details| details.state), Some(JobState::Running));
}
