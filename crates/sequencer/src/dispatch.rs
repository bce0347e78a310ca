//! Hands recorded decisions to the relayer and follows them to their end. A decision not yet
//! acknowledged is posted again (the same calldata, so the same job) until it is, including
//! after a restart; an acknowledged one is polled until the job is confirmed or failed.

use crate::{
    error::SequencerError,
    metrics::SequencerMetrics,
    store::{self, Decision, Outcome},
};
use nxtp_agent::{CancellationToken, Liveness, Store};
use nxtp_api::relayer::{JobRequest, JobState, RelayerClient, RelayerClientError};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The stream named on `/health` while the relayer fails.
const STREAM: &str = "relayer";

/// The dispatch task.
pub(crate) struct DispatchTask {
    pub(crate) store: Store,
    pub(crate) relayer: RelayerClient,
    pub(crate) metrics: SequencerMetrics,
    pub(crate) liveness: Liveness,
    /// Woken when a decision is recorded.
    pub(crate) wake: Arc<Notify>,
    /// Pause between two looks at the jobs in flight.
    pub(crate) interval: Duration,
}

impl DispatchTask {
    /// Sends and follows jobs until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let mut failures = 0u32;
        loop {
            let pause = match self.round().await? {
                Ok(()) => {
                    failures = 0;
                    self.liveness.ok(STREAM);
                    self.interval
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let pause = crate::backoff(self.interval, failures);
                    tracing::warn!(error = %err, retry_in = ?pause, "relayer unavailable");
                    self.liveness.failing(STREAM, &err);
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

    /// One pass over the decisions in flight; the outer error stops the sequencer, the inner
    /// one (the relayer failing) is retried.
    async fn round(&self) -> Result<Result<(), RelayerClientError>, SequencerError> {
        for decision in self.store.call(|conn| store::in_flight(conn)).await? {
            let step = if decision.acknowledged {
                self.follow(&decision).await?
            } else {
                self.post(&decision).await?
            };
            if let Err(err) = step {
                return Ok(Err(err));
            }
        }
        Ok(Ok(()))
    }

    /// Posts `decision`'s job and records the acknowledgement.
    async fn post(
        &self,
        decision: &Decision,
    ) -> Result<Result<(), RelayerClientError>, SequencerError> {
        let job = JobRequest::execute(decision.destination, decision.calldata.clone());
        let job_id = match self.relayer.submit(&job).await {
            Ok(job_id) => job_id,
            Err(err) if err.is_transient() => return Ok(Err(err)),
            Err(err) => {
                // The relayer refuses this job for good (e.g. it serves no such domain):
                // the transfer falls back to the slow path.
                let outcome = Outcome::Failed {
                    reason: format!("the relayer refused the job: {err}"),
                };
                self.finish(decision, outcome).await?;
                return Ok(Ok(()));
            }
        };
        if job_id != decision.job_id {
            tracing::warn!(transfer_id = %decision.transfer_id, expected = %decision.job_id, %job_id, "the relayer named the job differently");
        }
        let transfer_id = decision.transfer_id;
        self.store
            .call(move |conn| store::acknowledge(conn, transfer_id, job_id))
            .await?;
        tracing::info!(%transfer_id, %job_id, "execute job acknowledged by the relayer");
        Ok(Ok(()))
    }

    /// Polls `decision`'s job and records its end.
    async fn follow(
        &self,
        decision: &Decision,
    ) -> Result<Result<(), RelayerClientError>, SequencerError> {
        let view = match self.relayer.job(decision.job_id).await {
            Ok(Some(view)) => view,
            // The relayer lost the job (its database was reset): the same calldata is the
            // same job, so posting it again is safe.
            Ok(None) => return self.post(decision).await,
            Err(err) => return Ok(Err(err)),
        };
        let outcome = match view.state {
            JobState::Confirmed => Outcome::Executed {
                tx_hash: view.tx_hash.unwrap_or_default(),
            },
            JobState::Failed => Outcome::Failed {
                reason: view
                    .reason
                    .unwrap_or_else(|| "the relayer gave no reason".to_owned()),
            },
            JobState::Pending | JobState::Submitted => return Ok(Ok(())),
        };
        self.finish(decision, outcome).await?;
        Ok(Ok(()))
    }

    async fn finish(&self, decision: &Decision, outcome: Outcome) -> Result<(), SequencerError> {
        let label = match &outcome {
            Outcome::Executed { tx_hash } => {
                tracing::info!(transfer_id = %decision.transfer_id, %tx_hash, "transfer executed");
                "executed"
            }
            Outcome::Failed { reason } => {
                tracing::warn!(transfer_id = %decision.transfer_id, %reason, "execute failed; the transfer falls back to the slow path");
                "execute_failed"
            }
            Outcome::Sent => return Ok(()),
        };
        let transfer_id = decision.transfer_id;
        self.store
            .call(move |conn| store::finish(conn, transfer_id, &outcome))
            .await?;
        self.metrics.execution_ended(decision.destination, label);
        Ok(())
    }
}
