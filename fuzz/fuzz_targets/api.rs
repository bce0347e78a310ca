//! Fuzz target: see `nxtp_fuzz::api::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nxtp_fuzz::api::check(data));
