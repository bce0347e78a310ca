//! An agent's long-running tasks, run as one: the first task to fail stops the others (through
//! their shared [`CancellationToken`]) and its error is the agent's outcome.
//!
//! ```ignore
//! let mut tasks = TaskSet::new(ctx.shutdown.clone());
//! tasks.spawn("home 1000", home.run(tasks.shutdown()));
//! tasks.spawn("replica 2000", replica.run(tasks.shutdown()));
//! tasks.join().await // Ok once every task returned Ok after shutdown
//! ```
//!
//! A task that panics does not vanish: it becomes [`TaskError::Panicked`], which keeps the
//! task's name and the panic's message, and stops the others like any failure.

use std::{any::Any, collections::HashMap, fmt::Display, future::Future};
use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// Why a task ended without returning its own result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task panicked.
    #[error("task `{task}` panicked: {message}")]
    Panicked {
        /// The task's name.
        task: String,
        /// The panic's message (`<non-text panic>` when the payload is not text).
        message: String,
    },
    /// The task was aborted before it finished.
    #[error("task `{task}` was aborted")]
    Aborted {
        /// The task's name.
        task: String,
    },
}

impl TaskError {
    /// The name of the task that ended.
    pub fn task(&self) -> &str {
        match self {
            Self::Panicked { task, .. } | Self::Aborted { task } => task,
        }
    }

    fn from_join(task: String, error: JoinError) -> Self {
        if error.is_panic() {
            Self::Panicked {
                task,
                message: join_error_message(error),
            }
        } else {
            Self::Aborted { task }
        }
    }
}

/// What ended a task that did not return: the panic's message, or `aborted`. For the one-off
/// tasks (`spawn_blocking`, a server's task) whose failure an error type reports.
pub fn join_error_message(error: JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => panic_message(payload.as_ref()),
        Err(_) => "aborted".to_owned(),
    }
}

/// The text a panic was raised with: `panic!("...")` carries a `&str` or a `String`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<non-text panic>".to_owned()
    }
}

/// Named tasks that succeed or fail together; see the [module](self) docs.
///
/// `E` is the agent's error type: it must be able to hold a [`TaskError`] (usually a
/// `#[error(transparent)] Task(#[from] TaskError)` variant).
#[derive(Debug)]
pub struct TaskSet<E> {
    tasks: JoinSet<Result<(), E>>,
    names: HashMap<Id, String>,
    shutdown: CancellationToken,
}

impl<E> TaskSet<E>
where
    E: From<TaskError> + Display + Send + 'static,
{
    /// An empty set whose tasks stop on `shutdown`; the set cancels it when a task fails.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            tasks: JoinSet::new(),
            names: HashMap::new(),
            shutdown,
        }
    }

    /// The token every task should stop on (a clone of the set's).
    pub fn shutdown(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Starts `task` under `name` (used in logs and in [`TaskError`]).
    pub fn spawn(
        &mut self,
        name: impl Into<String>,
        task: impl Future<Output = Result<(), E>> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(task);
        self.names.insert(handle.id(), name.into());
    }

    /// How many tasks are running.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task was spawned.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for every task. The first failure (an error or a panic) cancels the shared token
    /// and is the outcome; the other tasks are still awaited, so none outlives the set.
    pub async fn join(mut self) -> Result<(), E> {
        let mut outcome = Ok(());
        while let Some(joined) = self.tasks.join_next_with_id().await {
            let (name, result) = match joined {
                Ok((id, result)) => (self.name(id), result),
                Err(error) => {
                    let name = self.name(error.id());
                    (name.clone(), Err(TaskError::from_join(name, error).into()))
                }
            };
            if let Err(error) = result {
                tracing::error!(task = %name, %error, "task failed; stopping");
                self.shutdown.cancel();
                if outcome.is_ok() {
                    outcome = Err(error);
                }
            }
        }
        outcome
    }

    fn name(&mut self, id: Id) -> String {
        self.names
            .remove(&id)
            .unwrap_or_else(|| format!("task {id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };

    #[derive(Debug, PartialEq, Eq, thiserror::Error)]
    enum TestError {
        #[error("failed: {0}")]
        Failed(&'static str),
        #[error(transparent)]
        Task(#[from] TaskError),
    }

    #[tokio::test]
    async fn first_error_wins_and_cancels_the_rest() {
        let mut tasks = TaskSet::<TestError>::new(CancellationToken::new());
        let stopped_cleanly = Arc::new(AtomicBool::new(false));
        let (waiter, flag) = (tasks.shutdown(), Arc::clone(&stopped_cleanly));
        tasks.spawn("waiter", async move {
            waiter.cancelled().await;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        // Fails only once the first failure has cancelled the token: its error must lose.
        let late = tasks.shutdown();
        tasks.spawn("late", async move {
            late.cancelled().await;
            Err(TestError::Failed("second"))
        });
        tasks.spawn("failing", async { Err(TestError::Failed("first")) });
        let shutdown = tasks.shutdown();

        let outcome = tasks.join().await;

        assert_eq!(outcome, Err(TestError::Failed("first")));
        assert!(shutdown.is_cancelled());
        assert!(stopped_cleanly.load(Ordering::SeqCst), "every task awaited");
    }

    #[tokio::test]
    async fn a_panic_keeps_its_message_and_task_name() {
        let mut tasks = TaskSet::<TestError>::new(CancellationToken::new());
        let other = tasks.shutdown();
        tasks.spawn("bystander", async move {
            other.cancelled().await;
            Ok(())
        });
        let index = 7;
        tasks.spawn("replica 2000", async move {
            panic!("leaf {index} is missing");
        });

        let outcome = tasks.join().await;

        let expected = TaskError::Panicked {
            task: "replica 2000".into(),
            message: "leaf 7 is missing".into(),
        };
        assert_eq!(outcome, Err(TestError::Task(expected.clone())));
        assert_eq!(
            expected.to_string(),
            "task `replica 2000` panicked: leaf 7 is missing"
        );
        assert_eq!(expected.task(), "replica 2000");
    }

    #[tokio::test]
    async fn clean_shutdown_returns_ok() {
        let shutdown = CancellationToken::new();
        let mut tasks = TaskSet::<TestError>::new(shutdown.clone());
        for name in ["a", "b", "c"] {
            let token = tasks.shutdown();
            tasks.spawn(name, async move {
                token.cancelled().await;
                Ok(())
            });
        }
        assert_eq!(tasks.len(), 3);
        shutdown.cancel();
        assert_eq!(tasks.join().await, Ok(()));
    }

    #[tokio::test]
    async fn an_empty_set_joins_at_once() {
        let tasks = TaskSet::<TestError>::new(CancellationToken::new());
        assert!(tasks.is_empty());
        assert_eq!(tasks.join().await, Ok(()));
    }
}
