//! How long a blocked runtime takes to show DOWN on a probe lane: the main
//! runtime (one worker) serves a handler that blocks it with
//! `std::thread::sleep`; a lane on a runtime of its own serves
//! `/health/live`, whose `runtime` component is a watchdog of the main
//! runtime with the default options (a tick every 100 ms, DOWN when 1 s
//! late). Each trial blocks the main runtime for 2 s and polls the lane every
//! 5 ms from the moment the blocking request is sent; 20 trials, median and
//! max. Run with `cargo bench --bench watchdog`.

use std::time::{Duration, Instant};

use health_core::http::HealthService;
use health_core::monitor::Monitor;
use health_core::probe::runtime::{RuntimeOptions, Watchdog};
use health_core::{CheckOptions, Registry, group};

#[path = "support/lane.rs"]
mod lane;

use lane::{Lane, get, serve};

const TRIALS: usize = 20;

fn main() {
    let main = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
    let options = RuntimeOptions::new();
    let watchdog = Watchdog::start(main.handle(), options);
    let mut registry: Registry = Registry::new();
    let liveness = CheckOptions::new().critical(true).groups([group::LIVENESS]);
    registry.register_with("runtime", watchdog, liveness).expect("a registry");
    let health = HealthService::builder(Monitor::new(registry, ())).build().expect("a service");
    let blocking = axum::Router::new()
        .route("/block", axum::routing::get(|| async { std::thread::sleep(Duration::from_secs(2)) }));
    let main_port = serve(&main, health.router().merge(blocking));
    let lane = Lane::serve(health.router());
    let lane_port = lane.address;
    let wait = Duration::from_millis(500);
    let mut times = Vec::new();
    for _ in 0..TRIALS {
        // Live again, and for a while: the last ticks are on time.
        while get(lane_port, "/health/live", wait) != Some(200) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(1000));
        let blocker = std::thread::spawn(move || get(main_port, "/block", Duration::from_secs(5)));
        let blocked = Instant::now();
        let down = loop {
            if get(lane_port, "/health/live", wait) == Some(503) {
                break blocked.elapsed();
            }
            assert!(blocked.elapsed() < Duration::from_secs(2), "never DOWN while blocked");
            std::thread::sleep(Duration::from_millis(5));
        };
        times.push(down);
        let _ = blocker.join();
    }
    drop(lane);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "blocked runtime to DOWN on the lane, {TRIALS} trials (tick 100 ms, DOWN when 1 s late): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(times[TRIALS / 2]),
        ms(times[0]),
        ms(times[TRIALS - 1])
    );
    println!("machine: {} cores", std::thread::available_parallelism().map_or(0, usize::from));
    main.shutdown_timeout(Duration::from_secs(1));
}
