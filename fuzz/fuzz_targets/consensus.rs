//! Fuzz target: see `nxtp_fuzz::consensus::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nxtp_fuzz::consensus::check(data));
