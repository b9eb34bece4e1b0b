//! An example of this repository run as a user runs it: a real process,
//! real sockets, real signals.
// Each test binary that includes this uses a different part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// Builds the example `name` once per test binary, in that binary's profile
/// (`target/<profile>/deps/…`), and returns its path.
pub fn example_binary(name: &'static str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let profile_dir = std::env::current_exe().unwrap().parent().and_then(|deps| deps.parent()).unwrap().to_owned();
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.contains(&name) {
        let profile = profile_dir.file_name().and_then(|dir| dir.to_str()).unwrap_or("debug").to_owned();
        let profile = if profile == "debug" { "dev".to_owned() } else { profile };
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name, "--profile", &profile])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the example {name} builds");
        built.push(name);
    }
    profile_dir.join("examples").join(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An example's data directory, removed when the test is done with it.
pub struct DataDir(pub std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where an example keeps its data. The storage check measures that disk's
/// real free space, and a build machine's disk may be nearly full: memory
/// (`/dev/shm`) keeps the other tests' expectations about a healthy storage
/// true where it exists.
pub fn scratch_root() -> std::path::PathBuf {
    let memory = std::path::Path::new("/dev/shm");
    if memory.is_dir() { memory.to_path_buf() } else { std::env::temp_dir() }
}

/// A running example.
pub struct Running {
    pub child: Child,
    /// Where it serves HTTP.
    pub address: SocketAddr,
    pub data: DataDir,
}

/// Starts the example `name` with `arguments` and `environment` alone (and
/// `PORT`, `DATA_DIR`), and waits until it listens.
pub async fn start(name: &'static str, arguments: &[&str], environment: &[(&str, String)]) -> Running {
    let port = free_port();
    let data_dir = scratch_root().join(format!("health-example-{port}"));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut command = Command::new(example_binary(name));
    command
        .args(arguments)
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATA_DIR", &data_dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in environment {
        command.env(name, value);
    }
    let child = command.spawn().expect("the example starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(address).await.is_err() {
        assert!(Instant::now() < deadline, "the example did not start listening");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Running { child, address, data: DataDir(data_dir) }
}

/// Sends SIGTERM to `child`.
pub fn terminate(child: &Child) {
    unsafe { libc::kill(child.id().expect("a running child") as i32, libc::SIGTERM) };
}

/// Everything the process printed, once it has exited.
pub async fn output(mut child: Child) -> String {
    let mut text = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout.read_to_string(&mut text).await.unwrap();
    }
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut text).await.unwrap();
    }
    text
}
