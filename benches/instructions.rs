//! The report of `benches/report.rs`, run a given number of times without a
//! timer, for counting instructions under callgrind (`bench/instructions.sh`):
//!
//!     instructions <derive|damped|by-hand|block-on> <iterations> [json]
//!     instructions sizes

#[path = "support/report_fixture.rs"]
mod fixture;

use std::hint::black_box;

use fixture::{Damped, Derived, by_hand};
use health_core::HealthReport;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|which| which == "sizes") {
        let derived = Derived::default();
        println!(
            "future sizes: derive {} bytes, by hand {} bytes",
            size_of_val(&derived.report(&())),
            size_of_val(&by_hand::report())
        );
        return;
    }
    let usage = "usage: instructions <derive|damped|by-hand|block-on> <iterations> [json] | instructions sizes";
    let (Some(which), Some(iterations)) = (args.first(), args.get(1).and_then(|n| n.parse::<u32>().ok())) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let json = args.get(2).is_some_and(|flag| flag == "json");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    let derived = Derived::default();
    let damped = Damped::default();
    let mut body = Vec::with_capacity(4096);
    for _ in 0..iterations {
        body.clear();
        match which.as_str() {
            "derive" => {
                let report = runtime.block_on(derived.report(&()));
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "damped" => {
                let report = runtime.block_on(damped.report(&()));
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "by-hand" => {
                let report = runtime.block_on(by_hand::report());
                if json {
                    serde_json::to_writer(&mut body, &report).expect("serializable");
                }
                black_box(report);
            }
            "block-on" => runtime.block_on(async {}),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
        black_box(&body);
    }
}
