//! The job service behind the HTTP API: accepts jobs (recording each before handing it to its
//! domain's submitter), reports where they stand, and follows them to their end for the
//! metrics and logs.

use crate::{
    calls::{self, Job},
    config::DomainConfig,
    metrics::RelayerMetrics,
    revert::explain,
    store::{self, JobRecord},
};
use alloy::{
    primitives::{Address, B256},
    rpc::types::TransactionRequest,
};
use nxtp_agent::{CancellationToken, StorageError, Store};
use nxtp_api::relayer::{ApiError, ErrorCode, JobRequest, JobState, JobView};
use nxtp_chain::{Domains, OperationState, SubmitError, Submitter};
use nxtp_primitives::Domain;
use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};
use tokio::sync::{Mutex, MutexGuard};

/// Locks posts are spread over by job id: two posts of one job take the same lock.
const POST_LOCKS: usize = 64;

/// Why the service could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The request is refused, for the reason given (a `4xx`).
    #[error("{0}")]
    Refused(ApiError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A submitter failed.
    #[error("domain {domain}: submitter: {source}")]
    Submitter {
        /// The domain.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// A stored job names a domain without a submitter (the configuration dropped it).
    #[error("job {id} is on domain {domain}, which this relayer no longer serves")]
    Unserved {
        /// The job.
        id: B256,
        /// Its domain.
        domain: Domain,
    },
    /// A stored job's current attempt is signed by a key the configuration no longer lists.
    #[error("job {id} is carried by key {signer}, which this relayer no longer has")]
    UnknownKey {
        /// The job.
        id: B256,
        /// The key recorded for its current attempt.
        signer: Address,
    },
}

/// One domain's submitters, one per key; new jobs and attempts go to each in turn.
#[derive(Debug)]
pub struct DomainKeys {
    submitters: Vec<(Address, Submitter)>,
    next: AtomicUsize,
}

impl DomainKeys {
    /// The submitters of one domain, by their key's address; the first is the key of jobs
    /// recorded without one. `None` when empty.
    pub fn new(submitters: Vec<(Address, Submitter)>) -> Option<Self> {
        (!submitters.is_empty()).then(|| Self {
            submitters,
            next: AtomicUsize::new(0),
        })
    }

    /// The key the next new job or attempt goes to.
    fn pick(&self) -> Address {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.submitters.len();
        self.submitters[turn].0
    }

    /// The submitter of `signer` (the first key for `None`).
    fn get(&self, signer: Option<Address>) -> Option<&Submitter> {
        match signer {
            None => self.submitters.first(),
            Some(signer) => self
                .submitters
                .iter()
                .find(|(address, _)| *address == signer),
        }
        .map(|(_, submitter)| submitter)
    }
}

impl JobError {
    /// The error as the API reports it.
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Refused(error) => error.clone(),
            other => ApiError::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

/// What happened to a posted job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// A new job, handed to the submitter.
    New(B256),
    /// A job already accepted and not failed: nothing more was done.
    Repeated(B256),
    /// A failed job: a new attempt was handed to the submitter.
    Retried(B256),
}

impl Accepted {
    /// The job's id.
    pub fn id(self) -> B256 {
        match self {
            Self::New(id) | Self::Repeated(id) | Self::Retried(id) => id,
        }
    }
}

/// The job service; see the module docs.
#[derive(Debug)]
pub struct Jobs {
    domains: Domains<DomainConfig>,
    submitters: BTreeMap<Domain, DomainKeys>,
    store: Store,
    metrics: RelayerMetrics,
    /// Posts of one job are handled one at a time: reading a job's state and acting on it must
    /// not interleave with another post of the same job. Posts of different jobs mostly take
    /// different locks, so they overlap (each is a few SQLite writes and a submitter insert).
    accepting: Vec<Mutex<()>>,
    shutdown: CancellationToken,
}

impl Jobs {
    /// The service over `submitters` (one set of keys per served domain) and `store`.
    pub fn new(
        domains: Domains<DomainConfig>,
        submitters: BTreeMap<Domain, DomainKeys>,
        store: Store,
        metrics: RelayerMetrics,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            domains,
            submitters,
            store,
            metrics,
            accepting: (0..POST_LOCKS).map(|_| Mutex::new(())).collect(),
            shutdown,
        }
    }

    /// The lock of posts of job `id`.
    async fn lock_job(&self, id: B256) -> MutexGuard<'_, ()> {
        let stripe = usize::from(id[31]) % self.accepting.len();
        self.accepting[stripe].lock().await
    }

    /// Accepts a posted job: checks it, records it, and hands it to the submitter unless it is
    /// already in flight or done. A failed job starts a new attempt.
    pub async fn accept(&self, request: JobRequest) -> Result<Accepted, JobError> {
        let job = match calls::check(&self.domains, request) {
            Ok(job) => job,
            Err(refusal) => {
                self.metrics.refused(refusal.error);
                return Err(JobError::Refused(refusal));
            }
        };
        let _accepting = self.lock_job(job.id).await;
        let recorded = job.clone();
        let signer = self.keys(&job)?.pick();
        let (record, new) = self
            .store
            .call(move |conn| store::insert(conn, &recorded, signer))
            .await?;
        if new {
            self.hand_over(&record).await?;
            self.metrics.accepted(job.domain, job.kind);
            tracing::info!(job = %job.id, domain = %job.domain, kind = %job.kind, target = %job.target, "job accepted");
            return Ok(Accepted::New(job.id));
        }
        let Some(operation) = record.operation else {
            // Recorded by a relayer that stopped before handing it over.
            self.hand_over(&record).await?;
            self.metrics.repeated(job.domain, job.kind);
            return Ok(Accepted::Repeated(job.id));
        };
        let status = self
            .submitter(&record)?
            .status(operation)
            .await
            .map_err(|source| JobError::Submitter {
                domain: job.domain,
                source,
            })?;
        if !matches!(status.state, OperationState::Failed(_)) {
            self.metrics.repeated(job.domain, job.kind);
            return Ok(Accepted::Repeated(job.id));
        }
        // A failed operation can never be mined any more (see `nxtp_chain::FailureReason`), so
        // a new attempt cannot send the call twice.
        let (id, attempt) = (job.id, record.attempt);
        let signer = self.keys(&job)?.pick();
        let advanced = self
            .store
            .call(move |conn| store::next_attempt(conn, id, attempt, signer))
            .await?;
        if !advanced {
            // Cannot happen while posts are serialized; answered as any repeat.
            self.metrics.repeated(job.domain, job.kind);
            return Ok(Accepted::Repeated(job.id));
        }
        let next = JobRecord {
            attempt: attempt.saturating_add(1),
            operation: None,
            settled: false,
            signer: Some(signer),
            ..record
        };
        self.hand_over(&next).await?;
        self.metrics.retried(job.domain, job.kind);
        tracing::info!(job = %job.id, attempt = next.attempt, "failed job posted again; new attempt");
        Ok(Accepted::Retried(job.id))
    }

    /// The service's metrics.
    pub fn metrics(&self) -> &RelayerMetrics {
        &self.metrics
    }

    /// Hands every job a stopped relayer recorded but did not hand over.
    pub async fn resume(&self) -> Result<usize, JobError> {
        let pending = self.store.call(|conn| store::unsubmitted(conn)).await?;
        for record in &pending {
            let _accepting = self.lock_job(record.job.id).await;
            self.hand_over(record).await?;
        }
        Ok(pending.len())
    }

    /// The job `id` as the API shows it; `None` if unknown. With `wait`, waits up to that long
    /// (or until shutdown) for the job to end first.
    pub async fn view(
        &self,
        id: B256,
        wait: Option<Duration>,
    ) -> Result<Option<JobView>, JobError> {
        let Some(record) = self.store.call(move |conn| store::load(conn, id)).await? else {
            return Ok(None);
        };
        if let (Some(wait), Some(operation)) = (wait, record.operation) {
            let submitter = self.submitter(&record)?;
            tokio::select! {
                // Any outcome, even an error, ends the wait: the view below reports it.
                _ = tokio::time::timeout(wait, submitter.wait(operation)) => {}
                () = self.shutdown.cancelled() => {}
            }
        }
        let record = self
            .store
            .call(move |conn| store::load(conn, id))
            .await?
            .unwrap_or(record);
        self.render(&record).await.map(Some)
    }

    /// Looks at every job whose outcome has not been seen, and counts and logs those that
    /// ended (recorded as seen in one database transaction). Returns how many ended.
    pub async fn follow(&self) -> Result<usize, JobError> {
        let open = self.store.call(|conn| store::unsettled(conn)).await?;
        let mut ended = Vec::new();
        for record in open {
            let Some(operation) = record.operation else {
                continue;
            };
            let job = &record.job;
            let status = self
                .submitter(&record)?
                .status(operation)
                .await
                .map_err(|source| JobError::Submitter {
                    domain: job.domain,
                    source,
                })?;
            let outcome = match &status.state {
                OperationState::Confirmed(inclusion) => {
                    tracing::info!(job = %job.id, tx = %inclusion.tx_hash, block = inclusion.block_number, "job confirmed");
                    "confirmed"
                }
                OperationState::Failed(reason) => {
                    tracing::warn!(job = %job.id, domain = %job.domain, kind = %job.kind, reason = %explain(job.kind, reason), "job failed");
                    reason.label()
                }
                _ => continue,
            };
            ended.push((job.id, record.attempt, job.domain, job.kind, outcome));
        }
        let attempts: Vec<(B256, u32)> = ended
            .iter()
            .map(|&(id, attempt, ..)| (id, attempt))
            .collect();
        let settled = self
            .store
            .call(move |conn| store::settle_all(conn, &attempts))
            .await?;
        let mut counted = 0;
        for ((_, _, domain, kind, outcome), newly) in ended.into_iter().zip(settled) {
            if newly {
                self.metrics.finished(domain, kind, outcome);
                counted += 1;
            }
        }
        Ok(counted)
    }

    /// Hands the current attempt of `record` to its submitter (idempotent under its key) and
    /// records the operation.
    async fn hand_over(&self, record: &JobRecord) -> Result<(), JobError> {
        let job = &record.job;
        let request = TransactionRequest::default()
            .to(job.target)
            .input(job.calldata.clone().into());
        let key = store::submitter_key(job.id, record.attempt);
        let operation = self
            .submitter(record)?
            .submit(&key, request)
            .await
            .map_err(|source| JobError::Submitter {
                domain: job.domain,
                source,
            })?;
        let (id, attempt) = (job.id, record.attempt);
        self.store
            .call(move |conn| store::set_operation(conn, id, attempt, operation))
            .await?;
        Ok(())
    }

    async fn render(&self, record: &JobRecord) -> Result<JobView, JobError> {
        let job = &record.job;
        let mut view = JobView {
            job_id: job.id,
            domain: job.domain,
            kind: job.kind,
            state: JobState::Pending,
            tx_hash: None,
            block: None,
            reason: None,
        };
        let Some(operation) = record.operation else {
            return Ok(view);
        };
        let status = self
            .submitter(record)?
            .status(operation)
            .await
            .map_err(|source| JobError::Submitter {
                domain: job.domain,
                source,
            })?;
        match status.state {
            OperationState::Queued | OperationState::Simulated { .. } => {}
            OperationState::Submitted(submission) => {
                view.state = JobState::Submitted;
                view.tx_hash = submission.latest().map(|attempt| attempt.hash);
            }
            OperationState::Confirmed(inclusion) => {
                view.state = JobState::Confirmed;
                view.tx_hash = Some(inclusion.tx_hash);
                view.block = Some(inclusion.block_number);
            }
            OperationState::Failed(reason) => {
                view.state = JobState::Failed;
                if let nxtp_chain::FailureReason::RevertedOnChain {
                    tx_hash,
                    block_number,
                } = reason
                {
                    view.tx_hash = Some(tx_hash);
                    view.block = Some(block_number);
                }
                view.reason = Some(explain(job.kind, &reason));
            }
        }
        Ok(view)
    }

    /// The keys of `job`'s domain.
    fn keys(&self, job: &Job) -> Result<&DomainKeys, JobError> {
        self.submitters.get(&job.domain).ok_or(JobError::Unserved {
            id: job.id,
            domain: job.domain,
        })
    }

    /// The submitter of `record`'s current attempt: its domain's, for the key recorded.
    fn submitter(&self, record: &JobRecord) -> Result<&Submitter, JobError> {
        let job = &record.job;
        self.keys(job)?
            .get(record.signer)
            .ok_or_else(|| JobError::UnknownKey {
                id: job.id,
                signer: record.signer.unwrap_or_default(),
            })
    }
}
