//! The loop every task that follows an [`Indexer`] until shutdown runs: poll, hand out each
//! batch, back off on retryable failures, and keep the agent's health board up to date.

use super::{Batch, Indexer, IndexerError};
use crate::{heads::Heads, retry::backoff};
use nxtp_agent::{CancellationToken, Classify, Health};
use std::{fmt::Display, time::Duration};

/// Hands out an [`Indexer`]'s batches one by one until shutdown, so that a task's loop is
///
/// ```ignore
/// let mut follower = Follower::new("cannot read the Home").health(health, "home 1");
/// while let Some(batch) = follower.next(&mut self.indexer, &shutdown).await? {
///     self.handle(batch).await?;
/// }
/// Ok(())
/// ```
///
/// It keeps no borrow of the indexer or the task between batches, so the handler may use the
/// task freely. An indexer not given the agent's shared [`Heads`] gets a follower of its own
/// here, so a task polls for logs once per new head, never blindly every interval (and, over a
/// WebSocket endpoint, learns of new heads by subscription). Empty polls pause the indexer's poll interval; transient RPC failures, and
/// failures the task reports with [`Self::failed`], are logged, mark the stream failing and
/// back off (see [`backoff`]) until a poll succeeds again.
#[derive(Debug)]
pub struct Follower {
    /// The log message of a failure, naming what could not be read.
    message: &'static str,
    /// Where to report the stream's state, under which name.
    health: Option<(Health, String)>,
    /// Failures since the last success, for the backoff.
    failures: u32,
    /// A batch was handed out and not reported failed: asking for the next one means the task
    /// handled it.
    handed_out: bool,
    /// Why the task could not handle the last batch.
    failed: Option<String>,
}

impl Follower {
    /// A follower that logs failures with `message` (e.g. "cannot read the Home") and reports
    /// nowhere.
    pub fn new(message: &'static str) -> Self {
        Self {
            message,
            health: None,
            failures: 0,
            handed_out: false,
            failed: None,
        }
    }

    /// Reports the indexer's state as `stream` of `health`: ok after each successful poll
    /// and each handled batch, failing with the reason after each failure.
    pub fn health(mut self, health: Health, stream: impl Into<String>) -> Self {
        self.health = Some((health, stream.into()));
        self
    }

    /// The next batch, or `None` once `shutdown` is cancelled. Polls until a batch is ready,
    /// pausing between empty polls and backing off on retryable errors; other indexer errors
    /// are returned, and the caller is expected to stop.
    ///
    /// Asking for the next batch says the previous one was handled, unless [`Self::failed`]
    /// said otherwise: then this first backs off, and the uncommitted batch comes again.
    pub async fn next(
        &mut self,
        indexer: &mut Indexer,
        shutdown: &CancellationToken,
    ) -> Result<Option<Batch>, IndexerError> {
        if let Some(reason) = self.failed.take() {
            let pause = self.failing(indexer, &reason);
            if !sleep(shutdown, pause).await {
                return Ok(None);
            }
        } else if std::mem::take(&mut self.handed_out) {
            self.ok();
        }
        if indexer.heads.is_none() {
            let chain = indexer.cursor.chain;
            let heads = Heads::follow(chain, indexer.provider.clone(), indexer.poll_interval);
            indexer.heads = Some(heads);
        }
        loop {
            if shutdown.is_cancelled() {
                return Ok(None);
            }
            let pause = match indexer.poll().await {
                Ok(Some(batch)) => {
                    self.handed_out = true;
                    return Ok(Some(batch));
                }
                Ok(None) => {
                    self.ok();
                    // With a shared head, nothing can be new before the head moves: wake then,
                    // or after the fallback at the latest.
                    if let (Some(heads), Some(seen)) = (&indexer.heads, indexer.seen_head) {
                        tokio::select! {
                            () = shutdown.cancelled() => return Ok(None),
                            () = heads.changed_from_or_fallback(seen, indexer.poll_interval) => {}
                        }
                        continue;
                    }
                    indexer.poll_interval
                }
                Err(err) if err.is_retryable() => self.failing(indexer, &err),
                Err(err) => return Err(err),
            };
            if !sleep(shutdown, pause).await {
                return Ok(None);
            }
        }
    }

    /// Reports that the task could not handle the batch last handed out, for a reason a retry
    /// may fix (an RPC call of its own failed, say). The next [`Self::next`] treats it like a
    /// failed poll; errors a retry cannot fix should stop the task instead.
    pub fn failed(&mut self, reason: impl Display) {
        self.handed_out = false;
        self.failed = Some(reason.to_string());
    }

    fn ok(&mut self) {
        self.failures = 0;
        if let Some((health, stream)) = &self.health {
            health.ok(stream);
        }
    }

    /// Records one more failure and returns the pause before the next poll.
    fn failing(&mut self, indexer: &Indexer, reason: &dyn Display) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let pause = backoff(indexer.poll_interval, self.failures);
        tracing::warn!(
            chain = %indexer.cursor.chain,
            stream = %indexer.cursor.stream,
            error = %reason,
            retry_in = ?pause,
            "{}",
            self.message
        );
        if let Some((health, stream)) = &self.health {
            health.failing(stream, reason);
        }
        pause
    }
}

/// Sleeps for `pause`; `false` if `shutdown` came first.
async fn sleep(shutdown: &CancellationToken, pause: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(pause) => true,
    }
}
