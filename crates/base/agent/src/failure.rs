//! One way to tell a failure worth retrying from one that must stop the agent, and one shape for
//! how a step of a task's loop fails.
//!
//! Every error a task's retry loop sees implements [`Classify`] once, next to its definition;
//! the loop asks [`Classify::is_retryable`] and never matches on variants itself. A step whose
//! failures are either "try again later, for this reason" or "stop the agent with this error"
//! returns a [`StepFailure`], which implements [`Classify`] too.

/// Re-exported from `nxtp-primitives`, where it lives so that the API clients (which must not
/// depend on this kit) implement it as well.
pub use nxtp_primitives::Classify;

use crate::StorageError;

/// Why one step of a task's loop did not finish: retry it later, or stop the agent.
///
/// `E` is the agent's error, what the task returns when it stops; `R` is why the step is
/// retried, which the loop logs and reports on `/health`. `?` turns a [`StorageError`] into
/// [`Fatal`](Self::Fatal). The agent's crate owns `E`, so it may (and does) add the conversions
/// its steps' `?` needs: `From<E>` into `Fatal`, `From` its own reason type into `Retry`; any
/// other source of `E` converts first (`.map_err(AgentError::from)?`).
///
/// (The kit cannot convert every `E` itself: a blanket `From<E>` would overlap the
/// kit's `From<StorageError>` where `E` is `StorageError`.)
#[derive(Debug)]
pub enum StepFailure<E, R = String> {
    /// Retrying later may succeed (an RPC endpoint or a service failed); the step is tried
    /// again after a pause.
    Retry(R),
    /// Retrying cannot help: the task stops, and with it the agent.
    Fatal(E),
}

impl<E, R> StepFailure<E, R> {
    /// The reason to retry, or the error that stops the agent: a loop writes
    /// `let reason = failure.into_retry()?;` and logs and reports `reason`.
    pub fn into_retry(self) -> Result<R, E> {
        match self {
            Self::Retry(reason) => Ok(reason),
            Self::Fatal(error) => Err(error),
        }
    }
}

/// A broken database stops the agent: `?` on [`Store::call`](crate::Store::call) in a step.
impl<E: From<StorageError>, R> From<StorageError> for StepFailure<E, R> {
    fn from(error: StorageError) -> Self {
        Self::Fatal(error.into())
    }
}

impl<E, R> Classify for StepFailure<E, R> {
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An agent's error, which a broken database becomes.
    #[derive(Debug)]
    struct Stopped(StorageError);

    impl From<StorageError> for Stopped {
        fn from(error: StorageError) -> Self {
            Self(error)
        }
    }

    fn step(down: bool) -> Result<(), StepFailure<Stopped>> {
        if down {
            return Err(StepFailure::Retry("endpoint down".to_owned()));
        }
        Err(StorageError::from(rusqlite::Error::InvalidQuery))?
    }

    #[test]
    fn retry_is_retryable_and_a_broken_database_stops() {
        let Err(retry) = step(true) else {
            panic!("the step failed");
        };
        assert!(retry.is_retryable() && !retry.is_fatal());
        assert_eq!(retry.into_retry().ok().as_deref(), Some("endpoint down"));
        let Err(fatal) = step(false) else {
            panic!("the step failed");
        };
        assert!(fatal.is_fatal());
        let Err(stopped) = fatal.into_retry() else {
            panic!("a broken database is fatal");
        };
        assert!(
            matches!(stopped.0, StorageError::Sqlite(_)),
            "{:?}",
            stopped.0
        );
    }
}
