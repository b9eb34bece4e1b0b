//! The fuzz targets' corpora, replayed on stable Rust: every committed input
//! (the seeds and what the fuzzer kept, crashes it found included) goes
//! through the same invariants as `cargo fuzz run <target>` (see `fuzz/`).

use std::path::Path;

/// Runs `check` on every file of `fuzz/corpus/<target>`, naming the input that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", directory.display());
    for input in &inputs {
        let data = std::fs::read(input).unwrap_or_else(|error| panic!("{}: {error}", input.display()));
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            std::panic::resume_unwind(Box::new(format!(
                "{} fails: {}",
                input.display(),
                panic.downcast_ref::<String>().map_or("(see above)", String::as_str)
            )));
        }
    }
}

#[test]
fn http_corpus() {
    replay("http", health_fuzz::http::check);
}

#[test]
fn redaction_corpus() {
    replay("redaction", health_fuzz::redaction::check);
}

#[test]
fn duration_corpus() {
    replay("duration", health_fuzz::duration::check);
}

#[test]
fn render_corpus() {
    replay("render", health_fuzz::render::check);
}

/// Messages longer than the fuzzer's inputs: 1 MiB, with every kind of line
/// break and escape in it, in each status.
#[test]
fn render_one_mebibyte_messages() {
    let mut data = Vec::new();
    for status in 0..3u8 {
        data.push(status);
        let pattern = "line\nbreak\rreturn \"quote\" \\u12 \u{1b}[31m \u{2028} é ";
        while data.len() < (usize::from(status) + 1) << 20 {
            data.extend_from_slice(pattern.as_bytes());
        }
        data.push(0);
    }
    health_fuzz::render::check(&data);
}
