//! Sends transactions for one signer on one chain, and sees each through to a final state,
//! across restarts.
//!
//! Callers [`submit`](Submitter::submit) a call under an idempotency key and get an
//! [`OperationId`]; a background task (the driver) simulates the call, signs it with the next
//! nonce, broadcasts it, bumps its fees when it lingers, and tracks it until it is
//! `confirmations` deep (see [`operation`] for the state machine). Every step is persisted in
//! SQLite *before* it takes effect on chain: a signed transaction is stored before it is
//! broadcast, so a restart finds every transaction it may have sent, checks their receipts, and
//! broadcasts again only what the node does not hold.
//!
//! Run exactly one submitter per (chain, signer): nonces are handed out from a counter in the
//! store, reconciled at start-up with the chain's pending nonce.

mod driver;
mod fees;
pub mod operation;
mod store;

pub use operation::{
    Attempt, Call, FailureReason, Fees, FinalState, Inclusion, Operation, OperationId,
    OperationState, Submission,
};
pub use store::SCHEMA;

use crate::{config::ChainConfig, heads::Heads, metrics::ChainMetrics, provider::without_url};
use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    transports::TransportError,
};
use nxtp_agent::{
    storage::{StorageError, Store},
    CancellationToken, Classify,
};
use nxtp_primitives::Domain;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};
use store::{Account, Inserted};
use tokio::sync::{watch, Notify};

/// How a submitter behaves.
#[derive(Clone, Debug)]
pub struct SubmitterConfig {
    /// Blocks on top of a transaction's block before its operation is final.
    pub confirmations: u64,
    /// Pause between two rounds over the operations in flight.
    pub poll_interval: Duration,
    /// How long a transaction may wait unmined before it is replaced with higher fees.
    pub bump_after: Duration,
    /// Added to the gas estimate, in percent, so small state changes between estimation and
    /// inclusion do not run the transaction out of gas.
    pub gas_margin_percent: u64,
    /// The most `maxFeePerGas` ever offered, if bounded; bumps stop there.
    pub max_fee_per_gas: Option<u128>,
    /// How many failed RPC rounds an unsent operation survives before it fails.
    pub rpc_attempts: u32,
    /// The first pause after a failure; it doubles with each further failure.
    pub retry_delay: Duration,
    /// Where to count sends, bumps, confirmations and failures.
    pub metrics: Option<ChainMetrics>,
    /// The agent's shared follower of this chain's head, if it has one: rounds take the head
    /// from it, and while operations are in flight the next round waits for the head to move
    /// (a receipt cannot change before it does) rather than the poll interval.
    pub heads: Option<Heads>,
    /// How many unsent operations a round simulates at once, then signs with consecutive
    /// nonces and sends together. With 1, each is simulated against a pending block that holds
    /// the transactions sent before it, as calls that depend on each other need; more suits
    /// independent calls (a relayer's executes), whose simulations then overlap.
    pub parallel_simulations: usize,
    /// The most operations sent and not yet final at once (transactions in flight with
    /// consecutive nonces); further operations wait, unsent, until some end. `None`: no limit.
    pub max_in_flight: Option<usize>,
}

impl SubmitterConfig {
    /// Defaults for `chain`: its confirmations and poll interval, a bump after a minute
    /// unmined, a 20% gas margin, no fee cap, 5 RPC attempts, retries from one second, one
    /// simulation at a time and no limit on the transactions in flight.
    pub fn new(chain: &ChainConfig) -> Self {
        Self {
            confirmations: chain.confirmations,
            poll_interval: chain.poll_interval(),
            bump_after: Duration::from_secs(60),
            gas_margin_percent: 20,
            max_fee_per_gas: None,
            rpc_attempts: 5,
            retry_delay: Duration::from_secs(1),
            metrics: None,
            heads: None,
            parallel_simulations: 1,
            max_in_flight: None,
        }
    }

    /// The same, counting into `metrics`.
    pub fn with_metrics(mut self, metrics: ChainMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The same, taking the head from `heads` (see [`Self::heads`]).
    pub fn with_heads(mut self, heads: Heads) -> Self {
        self.heads = Some(heads);
        self
    }

    /// The same, simulating up to `parallel` independent calls at once (see
    /// [`Self::parallel_simulations`]; 0 counts as 1).
    pub fn with_parallel_simulations(mut self, parallel: usize) -> Self {
        self.parallel_simulations = parallel.max(1);
        self
    }

    /// The same, with at most `limit` operations in flight (see [`Self::max_in_flight`]).
    pub fn with_max_in_flight(mut self, limit: Option<usize>) -> Self {
        self.max_in_flight = limit;
        self
    }
}

/// Per-operation choices of the caller; an operation's key is bound to them as to its call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Keep simulating a call that reverts (again every poll interval, since a revert is the
    /// chain's answer rather than an endpoint's failure) instead of failing the operation:
    /// for calls that become valid later, such as processing a message once its root is
    /// acceptable.
    pub retry_reverts: bool,
    /// With `retry_reverts`, how long after the operation is queued a revert is still retried;
    /// a revert after that fails it. `None`: retried for as long as it reverts.
    pub retry_reverts_for: Option<Duration>,
}

/// Why a submitter call failed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// An RPC call needed to start failed.
    #[error("{method} failed: {source}")]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The transport's error, with any URL stripped.
        source: TransportError,
    },
    /// The request has no `to` (a creation must say `TxKind::Create`).
    #[error("operation {key}: the transaction request has no recipient")]
    NoRecipient {
        /// The caller's key.
        key: String,
    },
    /// The key already names an operation with a different call.
    #[error("key {key} already names {existing}, which makes a different call")]
    KeyReused {
        /// The caller's key.
        key: String,
        /// The operation the key names.
        existing: OperationId,
    },
    /// This submitter (chain and signer) has no operation with this id.
    #[error("no operation {0}")]
    UnknownOperation(OperationId),
    /// The submitter stopped (shutdown, or a fatal error it logged) before the operation
    /// ended; a restarted submitter resumes it.
    #[error("the submitter stopped before the operation ended")]
    Stopped,
}

/// A submitter stopped while its agent was running (it logged why).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the submitter stopped")]
pub struct SubmitterStopped;

impl Classify for SubmitError {
    /// Only a failed RPC call passes; the others are a broken database, a caller's mistake, or
    /// a stopped submitter, none of which trying again fixes.
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Rpc { .. })
    }
}

/// What the submitter's handles and its driver share.
#[derive(Debug)]
struct Shared {
    store: Store,
    account: Account,
    /// Wakes the driver when an operation is submitted.
    wake: Notify,
    /// Bumped whenever an operation's state changes, for [`Submitter::wait`].
    changes: watch::Sender<u64>,
    /// Cancelled when the driver has stopped.
    stopped: CancellationToken,
    /// Rounds the driver finished, done or failed, for [`Submitter::rounds`].
    rounds: AtomicU64,
}

impl Shared {
    fn changed(&self) {
        self.changes
            .send_modify(|version| *version = version.wrapping_add(1));
    }
}

/// A handle to the submitter of one signer on one chain; clones share it. See the module docs.
#[derive(Clone, Debug)]
pub struct Submitter {
    shared: Arc<Shared>,
}

impl Submitter {
    /// Reconciles the signer's nonce with the chain and starts the driver, which resumes every
    /// unfinished operation in `store` (opened with [`SCHEMA`]) and runs until `shutdown`.
    pub async fn start(
        store: Store,
        chain: Domain,
        provider: DynProvider,
        signer: PrivateKeySigner,
        config: SubmitterConfig,
        shutdown: CancellationToken,
    ) -> Result<Self, SubmitError> {
        let account = Account {
            chain,
            signer: signer.address(),
        };
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(rpc_error("eth_chainId"))?;
        let pending = provider
            .get_transaction_count(account.signer)
            .pending()
            .await
            .map_err(rpc_error("eth_getTransactionCount"))?;
        // Above the chain's count, the store knows transactions the node lost (they are
        // resumed and broadcast again); below it, another sender used the key.
        let next = store
            .call(move |conn| {
                let stored = store::next_nonce(conn, account)?;
                let next = stored.unwrap_or(0).max(pending);
                store::set_next_nonce(conn, account, next)?;
                Ok(next)
            })
            .await?;
        tracing::info!(
            %chain,
            signer = %account.signer,
            next_nonce = next,
            pending,
            "submitter started"
        );

        let shared = Arc::new(Shared {
            store,
            account,
            wake: Notify::new(),
            changes: watch::Sender::new(0),
            stopped: CancellationToken::new(),
            rounds: AtomicU64::new(0),
        });
        let driver = driver::Driver::new(
            Arc::clone(&shared),
            provider,
            EthereumWallet::from(signer),
            chain_id,
            config,
        );
        tokio::spawn(driver.run(shutdown));
        Ok(Self { shared })
    }

    /// [`Self::submit_with`] default options.
    pub async fn submit(
        &self,
        key: &str,
        request: TransactionRequest,
    ) -> Result<OperationId, SubmitError> {
        self.submit_with(key, request, SubmitOptions::default())
            .await
    }

    /// Queues the call in `request` (its recipient, value and input; the submitter chooses
    /// nonce, gas and fees) under `key`. Idempotent: the same key returns the same operation
    /// and never sends a second transaction; reusing a key for another call is an error.
    pub async fn submit_with(
        &self,
        key: &str,
        request: TransactionRequest,
        options: SubmitOptions,
    ) -> Result<OperationId, SubmitError> {
        let call = Call::from_request(&request).ok_or_else(|| SubmitError::NoRecipient {
            key: key.to_owned(),
        })?;
        let account = self.shared.account;
        let owned_key = key.to_owned();
        let inserted = self
            .shared
            .store
            .call(move |conn| store::insert(conn, account, &owned_key, &call, options))
            .await?;
        match inserted {
            Inserted::New(id) => {
                tracing::debug!(%id, key, "operation queued");
                self.shared.changed();
                self.shared.wake.notify_one();
                Ok(id)
            }
            Inserted::Existing(id) => Ok(id),
            Inserted::Conflict(existing) => Err(SubmitError::KeyReused {
                key: key.to_owned(),
                existing,
            }),
        }
    }

    /// The operation as stored now.
    pub async fn status(&self, id: OperationId) -> Result<Operation, SubmitError> {
        let account = self.shared.account;
        self.shared
            .store
            .call(move |conn| store::load(conn, account, id))
            .await?
            .ok_or(SubmitError::UnknownOperation(id))
    }

    /// Waits until the operation is confirmed or failed.
    pub async fn wait(&self, id: OperationId) -> Result<FinalState, SubmitError> {
        // Subscribed before reading, so a change between the read and the wait is not missed.
        let mut changes = self.shared.changes.subscribe();
        loop {
            if let Some(done) = self.status(id).await?.state.final_state() {
                return Ok(done);
            }
            if self.shared.stopped.is_cancelled() {
                return Err(SubmitError::Stopped);
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Err(SubmitError::Stopped);
                    }
                }
                () = self.shared.stopped.cancelled() => {}
            }
        }
    }

    /// How many rounds over its operations the driver has finished, done or failed: a round
    /// that began after some change has seen it, so a caller asserting that the submitter did
    /// *not* act waits for two more rounds rather than for a timer.
    pub fn rounds(&self) -> u64 {
        self.shared.rounds.load(Ordering::Relaxed)
    }

    /// Resolves once the driver has stopped (after shutdown, or a fatal error it logged).
    pub async fn stopped(&self) {
        self.shared.stopped.cancelled().await;
    }

    /// Resolves once the driver has stopped: `Ok` if `shutdown` was cancelled by then, and
    /// [`SubmitterStopped`] if it stopped on its own (a fatal error it logged), for an agent
    /// task that stops the agent along with it.
    pub async fn watch(self, shutdown: CancellationToken) -> Result<(), SubmitterStopped> {
        self.stopped().await;
        if shutdown.is_cancelled() {
            Ok(())
        } else {
            Err(SubmitterStopped)
        }
    }
}

fn rpc_error(method: &'static str) -> impl FnOnce(TransportError) -> SubmitError {
    move |source| SubmitError::Rpc {
        method,
        source: without_url(source),
    }
}
