//! An allocation budget for decoders: the global allocator counts the bytes held live, so a check
//! can fail an input that makes a decoder hold more than a small multiple of its own length (a
//! length or count prefix believed before the bytes behind it are there).

use cap::Cap;
use std::alloc::System;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// What decoding `len` bytes may hold live at once: 16 bytes per input byte (the decoded values
/// are larger than their encodings, and vectors grow by doubling), plus 64 KiB for fixed costs.
pub fn for_input(len: usize) -> usize {
    len.saturating_mul(16).saturating_add(64 * 1024)
}

/// Runs `decode` with at most `budget` more bytes live than before it. An allocation past the
/// budget fails, which aborts the process: libFuzzer reports it as a crash and keeps the input.
pub fn within<T>(budget: usize, decode: impl FnOnce() -> T) -> T {
    let limit = ALLOCATOR.allocated().saturating_add(budget);
    ALLOCATOR
        .set_limit(limit)
        .expect("a limit above what is allocated");
    let decoded = decode();
    ALLOCATOR
        .set_limit(usize::MAX)
        .expect("no limit is below what is allocated");
    decoded
}
