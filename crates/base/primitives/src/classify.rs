//! One way to tell a failure worth retrying from one that must stop the agent.
//!
//! Every error a retry loop sees implements [`Classify`] once, next to its definition; the loop
//! asks [`Classify::is_retryable`] and never matches on variants itself. The trait lives here,
//! below every crate that defines such an error (the agents' kit re-exports it as
//! `nxtp_agent::Classify`), so that the API clients the SDK uses implement it without pulling in
//! the agents' runtime.

/// Whether trying the same thing again later may succeed.
pub trait Classify {
    /// `true` for failures that pass (an RPC endpoint down, a refused transaction retried under
    /// a new key, a service that said "later"), `false` for those that retrying cannot fix (a
    /// broken database, a key that cannot sign, a request refused for good).
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
