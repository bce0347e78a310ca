//! How the relayer's tasks run: each repeats one step, pausing when there is nothing to do and
//! backing off after failures, and reports its health to a board that folds every task's into
//! the agent's one `/health`.

use crate::error::{RelayerError, StepError};
use nxtp_agent::{CancellationToken, Classify, Health};
use nxtp_chain::retry::backoff;
use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

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

/// Every task's last report, folded into the agent's health: healthy once every task has
/// completed a step and none is failing.
#[derive(Clone, Debug)]
pub(crate) struct Board {
    health: Health,
    tasks: Arc<Mutex<BTreeMap<String, Option<String>>>>,
}

/// A task that has not reported yet.
const STARTING: &str = "starting";

impl Board {
    /// A board for the tasks named `names`, all starting.
    pub(crate) fn new(health: Health, names: impl IntoIterator<Item = String>) -> Self {
        let tasks = names
            .into_iter()
            .map(|name| (name, Some(STARTING.to_owned())))
            .collect();
        let board = Self {
            health,
            tasks: Arc::new(Mutex::new(tasks)),
        };
        board.publish();
        board
    }

    fn report(&self, task: &str, problem: Option<String>) {
        {
            let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
            tasks.insert(task.to_owned(), problem);
        }
        self.publish();
    }

    fn publish(&self) {
        let tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        let problems: Vec<String> = tasks
            .iter()
            .filter_map(|(name, problem)| problem.as_ref().map(|p| format!("{name}: {p}")))
            .collect();
        if problems.is_empty() {
            self.health.set_healthy();
        } else {
            self.health.set_unhealthy(problems.join("; "));
        }
    }
}

/// Runs `task` until `shutdown` (then `Ok`) or a fatal error.
pub(crate) async fn drive<T: Step>(
    mut task: T,
    board: Board,
    shutdown: CancellationToken,
) -> Result<(), RelayerError> {
    let mut failures: u32 = 0;
    let mut reported_ok = false;
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
                if !reported_ok {
                    board.report(task.name(), None);
                    reported_ok = true;
                }
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
                board.report(task.name(), Some(err.to_string()));
                return Err(RelayerError::Fatal {
                    task: task.name().to_owned(),
                    source: Box::new(err),
                });
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                reported_ok = false;
                let pause = backoff(task.retry_delay(), failures);
                tracing::warn!(
                    task = task.name(),
                    error = %err,
                    retry_in = ?pause,
                    "relayer step failed"
                );
                board.report(task.name(), Some(err.to_string()));
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::HealthStatus;

    #[test]
    fn healthy_only_when_every_task_is() {
        let health = Health::new();
        let board = Board::new(health.clone(), ["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "a: starting; b: starting".into()
            }
        );
        board.report("a", None);
        board.report("b", Some("rpc down".into()));
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "b: rpc down".into()
            }
        );
        board.report("b", None);
        assert_eq!(health.status(), HealthStatus::Healthy);
    }
}
