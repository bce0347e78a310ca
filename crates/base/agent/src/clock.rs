//! The wall clock, as agents record it in their databases.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; a clock set before 1970 reads as 0 (and one past the year
/// 584 million as `u64::MAX`) rather than failing: timestamps order records and pace retries,
/// they are never trusted for correctness.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_current_time_in_milliseconds() {
        // 2020-09-13, when the Unix time passed 1.6e12 ms: any real clock is past it.
        assert!(now_ms() > 1_600_000_000_000);
    }
}
