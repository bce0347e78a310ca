//! Executes reconciled transfers by the slow path: for each one still `Reconciled` on its
//! destination, records the execute job's id, posts the job to the relayer (idempotent, so a
//! crash between the two only means posting again), and follows it: confirmed, the transfer is
//! done; failed while the transfer still waits, it is posted again after a backoff.

use crate::{
    config::RetryPolicy,
    metrics::ExecutorMetrics,
    store::{self, Outcome, Slow},
};
use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
};
use nxtp_agent::{clock::now_ms, CancellationToken, Health, StorageError, Store};
use nxtp_api::relayer::{job_id, JobRequest, JobState, RelayerClient, RelayerClientError};
use nxtp_bindings::{execute_calldata, Connext, Fronting};
use nxtp_chain::retry::backoff;
use nxtp_liquidity::FeeValuation;
use nxtp_primitives::{Domain, TransferStatus};
use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::sync::Notify;

/// Why a transfer is skipped when it paid less than the floor (metrics label and stored reason).
pub const FEE_BELOW_FLOOR: &str = "relayer_fee_below_floor";

/// Transfers looked at per step, so one step stays short.
const BATCH: usize = 50;

/// A step that could not finish: the chain or the relayer failed (retried), or the database
/// (fatal).
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("domain {domain}: cannot read transferStatus: {message}")]
    Chain { domain: Domain, message: String },
    #[error(transparent)]
    Relayer(#[from] RelayerClientError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One destination: where to read a transfer's status and send its execute.
pub(crate) struct Destination {
    pub(crate) provider: DynProvider,
    pub(crate) connext: Address,
}

/// The task executing every reconciled transfer.
pub(crate) struct ExecuteTask {
    pub(crate) store: Store,
    pub(crate) relayer: RelayerClient,
    pub(crate) destinations: BTreeMap<Domain, Destination>,
    pub(crate) retry: RetryPolicy,
    /// Transfers that paid less native relayer fee on their origin are skipped.
    pub(crate) min_relayer_fee: U256,
    /// What fees paid in assets are worth, against the floor.
    pub(crate) valuation: FeeValuation,
    /// The transfers this process reported skipped (reported once each).
    pub(crate) skipped: Mutex<HashSet<B256>>,
    pub(crate) metrics: ExecutorMetrics,
    pub(crate) health: Health,
    pub(crate) wake: Arc<Notify>,
    pub(crate) poll_interval: Duration,
}

impl ExecuteTask {
    /// Works until `shutdown`; chain and relayer failures are retried with backoff.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), StorageError> {
        let stream = "executions";
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match self.step().await {
                Ok(()) => {
                    self.health.ok(stream);
                    failures = 0;
                    self.poll_interval
                }
                Err(StepError::Storage(err)) => return Err(err),
                Err(err) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %err, "execution step failed");
                    self.health.failing(stream, &err);
                    backoff(self.poll_interval, failures)
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn step(&self) -> Result<(), StepError> {
        let posted = self.store.call(|conn| store::posted(conn)).await?;
        for slow in posted {
            self.follow(&slow).await?;
        }
        let now = now_ms();
        let due = self
            .store
            .call(move |conn| store::due(conn, now, BATCH))
            .await?;
        for slow in due {
            self.start(&slow).await?;
        }
        Ok(())
    }

    /// Posts the execute of a waiting transfer if its destination still says `Reconciled`.
    async fn start(&self, slow: &Slow) -> Result<(), StepError> {
        let (Some(params), Some(destination)) =
            (&slow.params, self.destinations.get(&slow.destination))
        else {
            return Ok(());
        };
        let id = slow.transfer_id;
        match self.status(slow.destination, destination, id).await? {
            TransferStatus::Reconciled => {
                let origin = Domain(params.originDomain);
                let paid = self
                    .store
                    .call(move |conn| store::FEES.paid(conn, origin, id))
                    .await?;
                let paid = self.valuation.native_wei(origin, id, &paid);
                if paid < self.min_relayer_fee {
                    return self.skip(slow, paid).await;
                }
                self.skipped
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                let calldata = execute_calldata(params, Fronting::default());
                let job = job_id(slow.destination, destination.connext, &calldata);
                // Recorded first: after a crash the job is followed (and posted again if the
                // relayer never got it), never replaced by a second one.
                self.store
                    .call(move |conn| store::set_posted(conn, id, job))
                    .await?;
                self.relayer
                    .submit(&JobRequest::execute(slow.destination, calldata))
                    .await?;
                self.metrics.posted(slow.destination);
                tracing::info!(transfer_id = %id, destination = %slow.destination, %job, attempt = slow.failures + 1, "slow-path execute posted");
            }
            TransferStatus::Completed => self.done(slow, Outcome::CompletedElsewhere).await?,
            // The Reconciled event is not reflected yet (a lagging node) or any more (a
            // reorg): look again later.
            TransferStatus::None | TransferStatus::Executed => {
                let at = now_ms().saturating_add(millis(self.retry.base));
                self.store
                    .call(move |conn| store::set_waiting(conn, id, false, at))
                    .await?;
            }
        }
        Ok(())
    }

    /// Follows a posted execute job.
    async fn follow(&self, slow: &Slow) -> Result<(), StepError> {
        let (Some(job), Some(params), Some(destination)) = (
            slow.job_id,
            &slow.params,
            self.destinations.get(&slow.destination),
        ) else {
            return Ok(());
        };
        let id = slow.transfer_id;
        let Some(view) = self.relayer.job(job).await? else {
            // Recorded, but the relayer never got it (a crash in between) or lost it.
            self.relayer
                .submit(&JobRequest::execute(
                    slow.destination,
                    execute_calldata(params, Fronting::default()),
                ))
                .await?;
            tracing::info!(transfer_id = %id, %job, "execute job posted again");
            return Ok(());
        };
        match view.state {
            JobState::Pending | JobState::Submitted => {}
            JobState::Confirmed => self.done(slow, Outcome::Executed).await?,
            JobState::Failed => match self.status(slow.destination, destination, id).await? {
                TransferStatus::Completed => self.done(slow, Outcome::CompletedElsewhere).await?,
                status => {
                    let failures = slow.failures.saturating_add(1);
                    let wait = self.retry.delay(failures);
                    let at = now_ms().saturating_add(millis(wait));
                    self.store
                        .call(move |conn| store::set_waiting(conn, id, true, at))
                        .await?;
                    self.metrics.failed(slow.destination);
                    tracing::warn!(
                        transfer_id = %id,
                        %job,
                        ?status,
                        reason = view.reason.as_deref().unwrap_or("unknown"),
                        failures,
                        retry_in = ?wait,
                        "slow-path execute failed; retrying later"
                    );
                }
            },
        }
        Ok(())
    }

    /// Leaves a transfer whose paid relayer fee is below the floor: counted and logged the first
    /// time this process sees it so, looked at again after the longest retry pause, or at once
    /// when a fee bump is seen.
    async fn skip(&self, slow: &Slow, paid: U256) -> Result<(), StepError> {
        let id = slow.transfer_id;
        let at = now_ms().saturating_add(millis(self.retry.max));
        self.store
            .call(move |conn| store::set_skipped(conn, id, FEE_BELOW_FLOOR, at))
            .await?;
        let first = self
            .skipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        if first {
            self.metrics.skipped(slow.destination, FEE_BELOW_FLOOR);
            tracing::warn!(
                transfer_id = %id,
                destination = %slow.destination,
                %paid,
                floor = %self.min_relayer_fee,
                "slow-path execute skipped: the relayer fee paid (in native wei) is below \
                 min_relayer_fee; \
                 a bumpTransfer on the origin makes it eligible"
            );
        }
        Ok(())
    }

    async fn done(&self, slow: &Slow, outcome: Outcome) -> Result<(), StepError> {
        let id = slow.transfer_id;
        if self
            .store
            .call(move |conn| store::set_done(conn, id, outcome))
            .await?
        {
            self.metrics.done(slow.destination, outcome.as_str());
            tracing::info!(transfer_id = %id, destination = %slow.destination, outcome = outcome.as_str(), "slow-path transfer done");
        }
        Ok(())
    }

    async fn status(
        &self,
        domain: Domain,
        destination: &Destination,
        id: B256,
    ) -> Result<TransferStatus, StepError> {
        let raw = Connext::new(destination.connext, &destination.provider)
            .transferStatus(id)
            .call()
            .await
            .map_err(|err| StepError::Chain {
                domain,
                message: nxtp_chain::contract_without_url(err).to_string(),
            })?;
        TransferStatus::try_from(raw).map_err(|err| StepError::Chain {
            domain,
            message: err.to_string(),
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
