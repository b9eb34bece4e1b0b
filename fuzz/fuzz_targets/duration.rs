#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| health_fuzz::duration::check(data));
