//! Hands recorded decisions to the relayer as soon as they are made and follows them to their end,
//! up to [`CONCURRENCY`] requests at once, new decisions first. A decision not yet acknowledged is posted again (the same
//! calldata, so the same job) until it is, including after a restart; an acknowledged one is
//! polled until the job is confirmed or failed. What a round learns is recorded in one
//! transaction; an execute that ended releases the liquidity its decision committed.

use crate::{
    error::SequencerError,
    metrics::SequencerMetrics,
    reservations::Ledger,
    store::{self, Decision, Outcome},
};
use alloy::primitives::B256;
use futures::{stream, StreamExt};
use nxtp_agent::{CancellationToken, Classify, Health, Store};
use nxtp_api::relayer::{JobRequest, JobState, RelayerClient, RelayerClientError};
use nxtp_chain::retry::backoff;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The stream named on `/health` while the relayer fails.
const STREAM: &str = "relayer";

/// Requests to the relayer in flight at once.
const CONCURRENCY: usize = 8;

/// The dispatch task.
pub(crate) struct DispatchTask {
    pub(crate) store: Store,
    pub(crate) relayer: RelayerClient,
    pub(crate) metrics: SequencerMetrics,
    pub(crate) health: Health,
    /// Released when an execute ends.
    pub(crate) ledger: Ledger,
    /// Woken when a decision is recorded.
    pub(crate) wake: Arc<Notify>,
    /// Pause between two looks at the jobs in flight.
    pub(crate) interval: Duration,
}

/// What one look at a decision found.
#[derive(Clone, Debug)]
enum Step {
    /// The relayer took the job under this id.
    Acknowledged(B256),
    /// The execute ended.
    Finished(Outcome),
    /// Nothing new.
    Waiting,
}

impl DispatchTask {
    /// Sends and follows jobs until `shutdown`. A new decision wakes the task to post it at
    /// once; the jobs already acknowledged are polled every `interval` only, since polling them
    /// at every decision would load the relayer in proportion to the jobs in flight.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let mut failures = 0u32;
        let mut next_follow = Instant::now();
        loop {
            let follow = Instant::now() >= next_follow;
            if follow {
                next_follow = Instant::now() + self.interval;
            }
            let pause = match self.round(follow).await? {
                Ok(()) => {
                    failures = 0;
                    self.health.ok(STREAM);
                    next_follow.saturating_duration_since(Instant::now())
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.interval, failures);
                    tracing::warn!(error = %err, retry_in = ?pause, "relayer unavailable");
                    self.health.failing(STREAM, &err);
                    pause
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One pass over the decisions in flight: the ones to post, and when `follow`, the ones to
    /// poll. The outer error stops the sequencer, the inner one (the relayer failing for at
    /// least one of them) is retried.
    async fn round(&self, follow: bool) -> Result<Result<(), RelayerClientError>, SequencerError> {
        let mut decisions = self.store.call(|conn| store::in_flight(conn)).await?;
        decisions.retain(|decision| follow || !decision.acknowledged);
        // Not acknowledged first: their execute has not started yet.
        decisions.sort_by_key(|decision| decision.acknowledged);
        let steps: Vec<(Decision, Result<Step, RelayerClientError>)> = stream::iter(decisions)
            .map(|decision| async move {
                let step = if decision.acknowledged {
                    self.follow(&decision).await
                } else {
                    self.post(&decision).await
                };
                (decision, step)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut failure = None;
        let mut changes = Vec::new();
        for (decision, step) in steps {
            match step {
                Ok(Step::Waiting) => {}
                Ok(step) => changes.push((decision, step)),
                Err(err) => failure = failure.or(Some(err)),
            }
        }
        self.record(changes).await?;
        Ok(failure.map_or(Ok(()), Err))
    }

    /// Posts `decision`'s job.
    async fn post(&self, decision: &Decision) -> Result<Step, RelayerClientError> {
        let job = JobRequest::execute(decision.destination, decision.calldata.clone());
        match self.relayer.submit(&job).await {
            Ok(job_id) => {
                if job_id != decision.job_id {
                    tracing::warn!(transfer_id = %decision.transfer_id, expected = %decision.job_id, %job_id, "the relayer named the job differently");
                }
                Ok(Step::Acknowledged(job_id))
            }
            Err(err) if err.is_retryable() => Err(err),
            // The relayer refuses this job for good (e.g. it serves no such domain): the
            // transfer falls back to the slow path.
            Err(err) => Ok(Step::Finished(Outcome::Failed {
                reason: format!("the relayer refused the job: {err}"),
            })),
        }
    }

    /// Polls `decision`'s job.
    async fn follow(&self, decision: &Decision) -> Result<Step, RelayerClientError> {
        let view = match self.relayer.job(decision.job_id).await? {
            Some(view) => view,
            // The relayer lost the job (its database was reset): the same calldata is the
            // same job, so posting it again is safe.
            None => return self.post(decision).await,
        };
        Ok(match view.state {
            JobState::Confirmed => Step::Finished(Outcome::Executed {
                tx_hash: view.tx_hash.unwrap_or_default(),
            }),
            JobState::Failed => Step::Finished(Outcome::Failed {
                reason: view
                    .reason
                    .unwrap_or_else(|| "the relayer gave no reason".to_owned()),
            }),
            JobState::Pending | JobState::Submitted => Step::Waiting,
        })
    }

    /// Records what changed in one transaction, then reports it and releases the liquidity of
    /// the executes that ended.
    async fn record(&self, changes: Vec<(Decision, Step)>) -> Result<(), SequencerError> {
        if changes.is_empty() {
            return Ok(());
        }
        let writes: Vec<(B256, Step)> = changes
            .iter()
            .map(|(decision, step)| (decision.transfer_id, step.clone()))
            .collect();
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                for (transfer_id, step) in &writes {
                    match step {
                        Step::Acknowledged(job_id) => {
                            store::acknowledge(&tx, *transfer_id, *job_id)?
                        }
                        Step::Finished(outcome) => store::finish(&tx, *transfer_id, outcome)?,
                        Step::Waiting => {}
                    }
                }
                tx.commit()
            })
            .await?;
        for (decision, step) in changes {
            let transfer_id = decision.transfer_id;
            let label = match step {
                Step::Acknowledged(job_id) => {
                    tracing::info!(%transfer_id, %job_id, "execute job acknowledged by the relayer");
                    continue;
                }
                Step::Waiting | Step::Finished(Outcome::Sent) => continue,
                Step::Finished(Outcome::Executed { tx_hash }) => {
                    tracing::info!(%transfer_id, %tx_hash, "transfer executed");
                    "executed"
                }
                Step::Finished(Outcome::Failed { reason }) => {
                    tracing::warn!(%transfer_id, %reason, "execute failed; the transfer falls back to the slow path");
                    "execute_failed"
                }
            };
            self.ledger.lock().release(transfer_id);
            self.metrics.execution_ended(decision.destination, label);
        }
        Ok(())
    }
}
