//! The process's memory and file descriptors: against the real process and
//! the machine's own cgroup files, and against cgroup v1 and v2 layouts the
//! tests write.

use std::path::{Path, PathBuf};
use std::time::Duration;

use health_core::Status;
use health_core::monitor::Monitor;
use health_core::probe::process::{self, DescriptorCheck, DescriptorOptions, MemoryCheck, MemoryOptions, Usage};

use crate::support::{TempDir, details, read_concurrently, read_once, registry_of, report_of, verdict};

const TIMEOUT: Duration = Duration::from_secs(1);
const MIB: u64 = 1 << 20;

/// The kibibytes of a `Key: 123 kB` line, read directly.
fn kib(file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text.lines().find(|line| line.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A `/proc` and a cgroup mount written by the test, with a process of
/// 200 MiB resident on a machine of 16 GiB.
struct Layout {
    root: TempDir,
}

impl Layout {
    fn new(name: &str, membership: &str) -> Layout {
        let root = TempDir::new(name);
        let layout = Layout { root };
        layout.write("proc/self/cgroup", membership);
        layout.write("proc/self/status", "Name:\tservice\nVmRSS:\t  204800 kB\nThreads:\t4\n");
        layout.write("proc/meminfo", "MemTotal:       16777216 kB\nMemFree:  1000 kB\n");
        layout
    }

    fn write(&self, file: &str, text: &str) {
        let path = self.root.0.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.root.0.join(sub)
    }

    fn options(&self) -> MemoryOptions {
        MemoryOptions::new().mounts(self.path("proc"), self.path("cgroup"))
    }
}

async fn memory(options: MemoryOptions) -> (Status, String, serde_json::Value) {
    let report = report_of(MemoryCheck::new(options), TIMEOUT).await;
    let (status, message) = verdict(&report);
    (status, message, details(&report))
}

#[tokio::test]
async fn memory_of_the_real_process_agrees_with_proc_and_the_cgroup_files() {
    if !cfg!(target_os = "linux") {
        crate::support::skipped("the process probes read Linux's /proc");
        return;
    }
    let (status, message, figures) = memory(MemoryOptions::new()).await;
    let rss = figures["rss_bytes"].as_u64().unwrap();
    let direct = kib("/proc/self/status", "VmRSS:") * 1024;
    assert!(rss.abs_diff(direct) <= (direct / 20).max(4 * MIB), "probe {rss}, /proc/self/status {direct}");
    let used = figures["used_bytes"].as_u64().unwrap();
    let limit = figures["limit_bytes"].as_u64().unwrap();
    match figures["limit_source"].as_str().unwrap() {
        "total_memory" => {
            assert_eq!(limit, kib("/proc/meminfo", "MemTotal:") * 1024);
            assert!(used.abs_diff(direct) <= (direct / 20).max(4 * MIB), "probe {used}, VmRSS {direct}");
        }
        "cgroup_v1" | "cgroup_v2" => assert!(used <= limit.max(used), "{figures}"),
        other => panic!("limit source {other} on Linux: {figures}"),
    }
    let expected = if used * 100 > limit * 95 {
        Status::Down
    } else if used * 100 > limit * 85 {
        Status::Degraded
    } else {
        Status::Up
    };
    assert_eq!(status, expected, "{message}: {figures}");
}

#[tokio::test]
async fn thresholds_below_the_real_usage_bring_degraded_and_down() {
    if !cfg!(target_os = "linux") {
        crate::support::skipped("the process probes read Linux's /proc");
        return;
    }
    let (status, message, _) = memory(MemoryOptions::new().warning(Usage::Amount(MIB))).await;
    assert_eq!(status, Status::Degraded, "{message}");
    assert!(message.ends_with("above the warning 1048576"), "{message}");
    let (status, message, _) =
        memory(MemoryOptions::new().warning(Usage::Percent(0.0)).critical(Usage::Percent(0.0))).await;
    assert_eq!(status, Status::Down, "{message}");
    assert!(message.contains("above the critical 0%"), "{message}");
}

#[tokio::test]
async fn a_cgroup_v2_limit_is_measured_by_its_working_set() {
    let layout = Layout::new("cgroup-v2", "0::/kubepods/pod-1/service\n");
    layout.write("cgroup/kubepods/pod-1/service/memory.max", "1073741824\n");
    layout.write("cgroup/kubepods/pod-1/service/memory.current", "966367641\n");
    layout.write(
        "cgroup/kubepods/pod-1/service/memory.stat",
        "anon 700000000\nfile 200000000\ninactive_file 104857600\nactive_file 95000000\n",
    );
    let (status, message, figures) = memory(layout.options()).await;
    let used = 966_367_641 - 104_857_600;
    assert_eq!(figures["limit_source"], "cgroup_v2");
    assert_eq!(figures["limit_bytes"], 1_073_741_824u64);
    assert_eq!(figures["used_bytes"], used);
    assert_eq!(figures["rss_bytes"], 200 * MIB);
    // 80.2 % of the limit: below the default warning of 85 %.
    assert_eq!(status, Status::Up, "{message}");
    layout.write("cgroup/kubepods/pod-1/service/memory.stat", "inactive_file 0\n");
    let (status, message, _) = memory(layout.options()).await;
    assert_eq!(status, Status::Degraded, "{message}");
    assert_eq!(message, "90.0% of the limit in use (966367641 of 1073741824 bytes), above the warning 85%");
}

#[tokio::test]
async fn a_cgroup_namespace_root_and_the_hybrid_mount_are_found() {
    // A container's cgroup namespace: the path named does not exist under the mount.
    let layout = Layout::new("cgroup-v2-namespace", "0::/\n");
    layout.write("cgroup/memory.max", "2000000000\n");
    layout.write("cgroup/memory.current", "1960000000\n");
    let (status, message, figures) = memory(layout.options()).await;
    assert_eq!(figures["limit_source"], "cgroup_v2");
    assert_eq!(status, Status::Down, "98 % in use: {message}");

    // systemd's hybrid layout mounts v2 at `unified`.
    let hybrid = Layout::new("cgroup-hybrid", "1:cpu:/\n0::/service\n");
    hybrid.write("cgroup/unified/service/memory.max", "1000000000\n");
    hybrid.write("cgroup/unified/service/memory.current", "100000000\n");
    let (_, _, figures) = memory(hybrid.options()).await;
    assert_eq!(figures["limit_source"], "cgroup_v2");
    assert_eq!(figures["used_percent"], 10.0);
}

#[tokio::test]
async fn without_a_cgroup_limit_the_configured_limit_then_total_memory_apply() {
    let layout = Layout::new("cgroup-v2-max", "0::/service\n");
    layout.write("cgroup/service/memory.max", "max\n");
    layout.write("cgroup/service/memory.current", "100000000\n");
    let (_, _, figures) = memory(layout.options()).await;
    assert_eq!(figures["limit_source"], "total_memory");
    assert_eq!(figures["limit_bytes"], 16 * 1024 * MIB);
    assert_eq!(figures["used_bytes"], 200 * MIB, "the resident set, against total memory");
    let (status, message, figures) = memory(layout.options().limit(210 * MIB)).await;
    assert_eq!(figures["limit_source"], "configured");
    assert_eq!(status, Status::Down, "200 of 210 MiB: {message}");
}

#[tokio::test]
async fn a_cgroup_v1_limit_is_read_and_its_unlimited_value_ignored() {
    let layout = Layout::new("cgroup-v1", "9:pids:/\n4:memory,hugetlb:/docker/abc\n0::/\n");
    let group = "cgroup/memory/docker/abc";
    layout.write(&format!("{group}/memory.limit_in_bytes"), "536870912\n");
    layout.write(&format!("{group}/memory.usage_in_bytes"), "500000000\n");
    layout.write(&format!("{group}/memory.stat"), "cache 1000\ninactive_file 7\ntotal_inactive_file 100000000\n");
    let (status, message, figures) = memory(layout.options()).await;
    assert_eq!(figures["limit_source"], "cgroup_v1");
    assert_eq!(figures["used_bytes"], 400_000_000u64);
    assert_eq!(status, Status::Up, "{message}");
    layout.write(&format!("{group}/memory.limit_in_bytes"), "9223372036854771712\n");
    let (_, _, figures) = memory(layout.options()).await;
    assert_eq!(figures["limit_source"], "total_memory");
}

#[tokio::test]
async fn the_machines_own_cgroup_files_parse_as_the_probe_reads_them() {
    let Ok(membership) = std::fs::read_to_string("/proc/self/cgroup") else {
        crate::support::skipped("no /proc/self/cgroup on this machine");
        return;
    };
    let (_, _, figures) = memory(MemoryOptions::new()).await;
    // A memory controller line names the v1 group; `0::` the v2 one.
    let v1 = membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers.split(',').any(|c| c == "memory").then(|| path.to_owned())
    });
    let v1_limit = v1.and_then(|path| {
        let named = Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'));
        let file = [named, PathBuf::from("/sys/fs/cgroup/memory")]
            .into_iter()
            .map(|directory| directory.join("memory.limit_in_bytes"))
            .find(|file| file.is_file())?;
        std::fs::read_to_string(file).ok()?.trim().parse::<u64>().ok()
    });
    match figures["limit_source"].as_str().unwrap() {
        "cgroup_v1" => assert_eq!(figures["limit_bytes"].as_u64(), v1_limit),
        "total_memory" | "configured" => {
            assert!(v1_limit.is_none_or(|limit| limit >= 1 << 62), "a v1 limit {v1_limit:?} was not used")
        }
        "cgroup_v2" => {}
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_unreadable_proc_is_down_and_says_where() {
    let (status, message, _) = memory(MemoryOptions::new().mounts("/nonexistent/proc", "/nonexistent/cgroup")).await;
    assert_eq!(status, Status::Down);
    assert_eq!(message, "cannot read the memory of the process in /nonexistent/proc");
    let report =
        report_of(DescriptorCheck::new(DescriptorOptions::new().proc_mount("/nonexistent/proc")), TIMEOUT).await;
    assert_eq!(
        verdict(&report),
        (Status::Down, "cannot read the descriptors of the process in /nonexistent/proc".into())
    );
}

/// The process's open descriptors, as `/proc/self/fd` lists them.
fn open_now() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64 - 1
}

#[tokio::test]
async fn descriptors_opened_for_real_cross_each_threshold() {
    if !cfg!(target_os = "linux") {
        crate::support::skipped("the process probes read Linux's /proc");
        return;
    }
    let report = report_of(DescriptorCheck::default(), TIMEOUT).await;
    let figures = details(&report);
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let soft: u64 = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert_eq!(figures["limit"], soft);
    // Other tests of this binary open and close sockets meanwhile: margins of 100.
    let base = open_now();
    assert!(figures["open"].as_u64().unwrap().abs_diff(base) < 100, "{figures} against {base}");
    if soft < base + 700 {
        crate::support::skipped(&format!("RLIMIT_NOFILE is {soft}: too low to open 500 more files"));
        return;
    }
    let options = DescriptorOptions::new().warning(Usage::Amount(base + 200)).critical(Usage::Amount(base + 400));
    let check = || DescriptorCheck::new(options.clone());
    assert_eq!(verdict(&report_of(check(), TIMEOUT).await).0, Status::Up);
    let directory = TempDir::new("descriptors");
    let mut files: Vec<std::fs::File> =
        (0..300).map(|n| std::fs::File::create(directory.0.join(n.to_string())).unwrap()).collect();
    let (status, message) = verdict(&report_of(check(), TIMEOUT).await);
    assert_eq!(status, Status::Degraded, "{message}");
    files.extend((300..500).map(|n| std::fs::File::create(directory.0.join(n.to_string())).unwrap()));
    let (status, message) = verdict(&report_of(check(), TIMEOUT).await);
    assert_eq!(status, Status::Down, "{message}");
    assert!(message.contains(&format!("above the critical {}", base + 400)), "{message}");
    drop(files);
    assert_eq!(verdict(&report_of(check(), TIMEOUT).await).0, Status::Up);
}

#[tokio::test]
async fn sixty_four_concurrent_reads_answer_as_one() {
    let layout = Layout::new("cgroup-concurrent", "0::/service\n");
    layout.write("cgroup/service/memory.max", "1000000000\n");
    layout.write("cgroup/service/memory.current", "900000000\n");
    let monitor = Monitor::new(registry_of(MemoryCheck::new(layout.options()), TIMEOUT), ());
    let one = read_once(&monitor).await;
    assert_eq!(one.0, Status::Degraded, "{}", one.1);
    for answer in read_concurrently(&monitor).await {
        assert_eq!(answer, one);
    }
    // The probe's function answers as the check does.
    assert_eq!(process::memory_with(&layout.options()).await.status(), Status::Degraded);
}
