//! One way to tell a failure worth retrying from one that must stop the agent.
//!
//! Every error a task's retry loop sees implements [`Classify`] once, next to its definition;
//! the loop asks [`Classify::is_retryable`] and never matches on variants itself.

/// Whether trying the same thing again later may succeed.
pub trait Classify {
    /// `true` for failures that pass (an RPC endpoint down, a refused transaction retried under
    /// a new key), `false` for those that retrying cannot fix (a broken database, a key that
    /// cannot sign): the task stops and with it the agent.
    fn is_retryable(&self) -> bool;

    /// The opposite of [`is_retryable`](Classify::is_retryable).
    fn is_fatal(&self) -> bool {
        !self.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Probe {
        Down,
        Broken,
    }

    impl Classify for Probe {
        fn is_retryable(&self) -> bool {
            matches!(self, Self::Down)
        }
    }

    #[test]
    fn fatal_is_the_opposite_of_retryable() {
        assert!(Probe::Down.is_retryable() && !Probe::Down.is_fatal());
        assert!(!Probe::Broken.is_retryable() && Probe::Broken.is_fatal());
    }
}
