//! Exponential backoff shared by the indexer and the submitter.

use std::time::Duration;

/// No wait between retries grows beyond this: an agent should notice a recovered endpoint
/// within half a minute.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The pause before retry number `failures` (1 for the first retry): `base` doubled per
/// earlier failure, at most [`MAX_BACKOFF`].
pub(crate) fn backoff(base: Duration, failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 0), base);
        assert_eq!(backoff(base, 1), base);
        assert_eq!(backoff(base, 2), Duration::from_secs(1));
        assert_eq!(backoff(base, 4), Duration::from_secs(4));
        assert_eq!(backoff(base, 8), MAX_BACKOFF);
        assert_eq!(backoff(base, 200), MAX_BACKOFF);
    }
}
