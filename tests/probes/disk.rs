//! Free space of a file system, with no client crate.

use std::time::Duration;

use health_core::Status;
use health_core::probe::disk::{DiskOptions, FreeSpace, SpaceCheck};

use crate::support::{TempDir, details, report_of, verdict};

/// What `df` says is available, in bytes.
fn df_available(path: &std::path::Path) -> Option<u64> {
    let output = std::process::Command::new("df").args(["-B1", "--output=avail"]).arg(path).output().ok()?;
    String::from_utf8_lossy(&output.stdout).lines().nth(1)?.trim().parse().ok()
}

#[tokio::test]
async fn a_roomy_file_system_is_up_with_the_figures_df_reports() {
    let directory = TempDir::new("disk");
    let report = report_of(SpaceCheck::new(directory.0.clone()), Duration::from_secs(1)).await;
    let details = details(&report);
    let free = details["free_bytes"].as_u64().unwrap();
    let total = details["total_bytes"].as_u64().unwrap();
    assert!(free <= total && total > 0);
    // The machine's own disk decides: the default warning is 10% free, the critical 5%.
    let expected = if free * 10 >= total {
        Status::Up
    } else if free * 20 >= total {
        Status::Degraded
    } else {
        Status::Down
    };
    assert_eq!(verdict(&report).0, expected, "{:?}", verdict(&report));
    if let Some(available) = df_available(&directory.0) {
        // Other processes write meanwhile: agree within 64 MiB.
        assert!(free.abs_diff(available) < 64 << 20, "probe {free}, df {available}");
    }
    assert_eq!(details["warning"], serde_json::json!({ "percent": 10.0 }));
}

#[tokio::test]
async fn below_the_warning_it_is_degraded_and_below_the_critical_down() {
    let directory = TempDir::new("disk-thresholds");
    let free = fs_free(&directory.0);
    let warning = DiskOptions::new().warning(FreeSpace::Bytes(free * 2)).critical(FreeSpace::Bytes(1));
    let report = report_of(SpaceCheck::new(directory.0.clone()).with_options(warning), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded);
    assert!(message.contains("below the warning"), "{message}");

    let critical = DiskOptions::new().critical(FreeSpace::Percent(100.0));
    let report = report_of(SpaceCheck::new(directory.0.clone()).with_options(critical), Duration::from_secs(1)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("below the critical 100%"), "{message}");

    let report = report_of(SpaceCheck::new(directory.0.join("no/such/dir")), Duration::from_secs(1)).await;
    assert_eq!(verdict(&report).0, Status::Down);
}

fn fs_free(path: &std::path::Path) -> u64 {
    df_available(path).unwrap_or(u64::MAX / 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_calls_of_one_path_answer_as_one_call_does() {
    let directory = TempDir::new("disk-concurrent");
    let alone = health_core::probe::disk::space(&directory.0).await.status();
    // Called directly, outside any monitor: concurrent calls share the
    // `statvfs` under way instead of failing each other.
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let path = directory.0.clone();
            tokio::spawn(async move { health_core::probe::disk::space(path).await })
        })
        .collect();
    for call in calls {
        let outcome = call.await.unwrap();
        assert_eq!(outcome.status(), alone, "{:?}", outcome.message());
    }
}
