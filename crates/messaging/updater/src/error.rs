//! Why the updater cannot start, and why one round of its loop did not finish.

use crate::config::ResolveError;
use alloy::primitives::{Address, B256};
use nxtp_agent::{Classify, SecretError, StorageError, TaskError};
use nxtp_chain::{ChainError, ConnectError, FailureReason, StartError, SubmitError};
use nxtp_primitives::{Domain, SignatureError};

/// Why the updater stopped. Start-up errors name the config field to fix.
#[derive(Debug, thiserror::Error)]
pub enum UpdaterError {
    /// The config does not describe a usable deployment.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The key could not be loaded.
    #[error("signer: {0}")]
    Signer(#[source] SecretError),
    /// The checkpointer key could not be loaded.
    #[error("checkpointer: {0}")]
    Checkpointer(#[source] SecretError),
    /// The checkpointer key is the updater key: its stream of checkpoints would keep the
    /// updater from ever finding its key without pending transactions, so nothing is signed.
    #[error("checkpointer: {0} is the updater key; the checkpointer needs a key of its own")]
    CheckpointerIsUpdater(Address),
    /// The database could not be opened.
    #[error("database: {0}")]
    Database(#[source] StorageError),
    /// A chain could not be reached, or serves another chain id.
    #[error("chains.{domain}: {source}")]
    Connect {
        /// The chain's domain.
        domain: Domain,
        /// Why.
        source: ConnectError,
    },
    /// A start-up check of a contract could not be made.
    #[error("{field}: cannot read {what} on domain {domain}: {source}")]
    StartupRead {
        /// The config field naming the contract.
        field: &'static str,
        /// The chain.
        domain: Domain,
        /// What was read.
        what: &'static str,
        /// Why it failed.
        source: alloy::contract::Error,
    },
    /// Nothing is deployed at the configured address.
    #[error("{field}: no contract at {address} on domain {domain}")]
    NoContract {
        /// The config field naming the contract.
        field: &'static str,
        /// The chain.
        domain: Domain,
        /// The address.
        address: Address,
    },
    /// The key is not the Home's updater: its signatures would be refused.
    #[error("signer: {signer} is not the updater of the Home at {home} (the Home's updater is {updater})")]
    NotUpdater {
        /// The configured key's address.
        signer: Address,
        /// The Home.
        home: Address,
        /// The Home's updater.
        updater: Address,
    },
    /// A start-up failure every agent shares (here: the metrics could not be registered).
    #[error(transparent)]
    Start(#[from] StartError),
    /// A transaction submitter on the Home's chain could not start.
    #[error("chains.{domain}: cannot start the {role}'s transaction submitter: {source}")]
    Submitter {
        /// The Home's domain.
        domain: Domain,
        /// Whose key it sends for: `updater` or `checkpointer`.
        role: &'static str,
        /// Why.
        source: SubmitError,
    },
    /// A round failed in a way that retrying cannot fix.
    #[error(transparent)]
    Fatal(TickError),
    /// The updater's task panicked.
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// Why one round of the loop did not finish. [`Classify::is_fatal`] tells which stop the
/// updater; the others are retried with backoff while `/health` reports them.
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    /// A chain, an indexer, the database or the submitter failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A transaction failed; it is retried under a fresh key on a later round.
    #[error("{what} failed: {reason}")]
    Operation {
        /// What the transaction was for.
        what: String,
        /// Why it failed.
        reason: FailureReason,
    },
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] SignatureError),
    /// Fraud was proven on the Home: it accepts nothing any more.
    #[error("the Home at {0} has failed; nothing more can be signed")]
    HomeFailed(Address),
    /// The chains already show this updater's signatures over one old root to different new
    /// roots. Signing anything more over it cannot help; an operator must look.
    #[error("this updater already signed {old} -> {roots:?}: a double update exists on chain")]
    DoubleSigned {
        /// The old root.
        old: B256,
        /// The different new roots.
        roots: Vec<B256>,
    },
    /// The update recorded over the committed root moves to a root the Home has not
    /// checkpointed (a deep reorg removed the checkpoint): submitting it would be an improper
    /// update, and signing another root over the same old root a double update.
    #[error(
        "the update {old} -> {new} is recorded but the Home has not checkpointed {new}; \
         waiting for it to be checkpointed again"
    )]
    NotCheckpointed {
        /// The old root.
        old: B256,
        /// The new root.
        new: B256,
    },
}

impl Classify for TickError {
    /// The updater stops when the database or the submitter broke, or the key cannot sign.
    /// Everything else is retried.
    fn is_retryable(&self) -> bool {
        match self {
            Self::Chain(err) => err.is_retryable(),
            Self::Signing(_) => false,
            Self::Operation { .. }
            | Self::HomeFailed(_)
            | Self::DoubleSigned { .. }
            | Self::NotCheckpointed { .. } => true,
        }
    }
}

nxtp_chain::chain_error_sources!(TickError);
