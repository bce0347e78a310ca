//! How the relayer's tasks run: each repeats one step, pausing when there is nothing to do and
//! backing off after failures, and reports its progress under its name to the agent's health
//! board, which folds every task's into the one `/health`.

use crate::error::{MessageRelayerError, StepError};
use nxtp_agent::{CancellationToken, Classify, Health};
use nxtp_chain::retry::backoff;
use std::{future::Future, time::Duration};

/// What a step found, and so when the next one runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// There may be more to do: step again at once.
    Now,
    /// Nothing to do until something changes.
    Idle,
}

/// One of the relayer's tasks.
pub(crate) trait Step: Send {
    /// The task's name in logs and `/health`, e.g. `relay 1000 -> 2000`.
    fn name(&self) -> &str;

    /// Does one unit of work.
    fn step(&mut self) -> impl Future<Output = Result<Next, StepError>> + Send;

    /// Waits until there may be work again (a poll interval, or a notification).
    fn idle(&mut self) -> impl Future<Output = ()> + Send;

    /// The base pause after a failure.
    fn retry_delay(&self) -> Duration;
}

/// Runs `task` until `shutdown` (then `Ok`) or a fatal error, reporting to `health` under the
/// task's name.
pub(crate) async fn drive<T: Step>(
    mut task: T,
    health: Health,
    shutdown: CancellationToken,
) -> Result<(), MessageRelayerError> {
    let mut failures: u32 = 0;
    loop {
        // A step dropped at any await is like a crash there, which every step survives.
        let outcome = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            outcome = task.step() => outcome,
        };
        // Stopping also stops the submitters, which fails a step waiting on one: not an error.
        if shutdown.is_cancelled() {
            return Ok(());
        }
        match outcome {
            Ok(next) => {
                // Every step is a round on the health board, which tests wait on.
                health.ok(task.name());
                failures = 0;
                if next == Next::Idle {
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = task.idle() => {}
                    }
                }
            }
            Err(err) if err.is_fatal() => {
                tracing::error!(task = task.name(), error = %err, "relayer task failed");
                health.failing(task.name(), &err);
                return Err(MessageRelayerError::Fatal {
                    task: task.name().to_owned(),
                    source: Box::new(err),
                });
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                let pause = backoff(task.retry_delay(), failures);
                tracing::warn!(
                    task = task.name(),
                    error = %err,
                    retry_in = ?pause,
                    "relayer step failed"
                );
                health.failing(task.name(), &err);
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}
