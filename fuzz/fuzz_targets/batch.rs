//! Fuzz target: see `nxtp_fuzz::batch::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nxtp_fuzz::batch::check(data));
