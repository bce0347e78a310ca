//! Exponential backoff, shared by the indexer, the submitter and every agent's retry loops.

use std::time::Duration;

/// No wait between retries grows beyond this: an agent should notice a recovered endpoint
/// within half a minute.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Exponential backoff: `base`, doubled per earlier failure, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first pause.
    pub base: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl RetryPolicy {
    /// The pause after the `failures`-th failure (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// The pause before retry number `failures` (1 for the first retry): `base` doubled per
/// earlier failure, at most [`MAX_BACKOFF`].
pub fn backoff(base: Duration, failures: u32) -> Duration {
    RetryPolicy {
        base,
        max: MAX_BACKOFF,
    }
    .delay(failures)
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
        assert_eq!(backoff(base, 3), Duration::from_secs(2));
        assert_eq!(backoff(base, 4), Duration::from_secs(4));
        assert_eq!(
            backoff(Duration::from_millis(250), 3),
            Duration::from_secs(1)
        );
        assert_eq!(backoff(base, 8), MAX_BACKOFF);
        assert_eq!(backoff(base, 200), MAX_BACKOFF);
    }

    #[test]
    fn a_policy_caps_at_its_own_maximum() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max: Duration::from_secs(5),
        };
        assert_eq!(policy.delay(1), Duration::from_secs(1));
        assert_eq!(policy.delay(3), Duration::from_secs(4));
        assert_eq!(policy.delay(4), Duration::from_secs(5));
        assert_eq!(policy.delay(u32::MAX), Duration::from_secs(5));
    }
}
