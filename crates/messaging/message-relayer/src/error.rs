//! Why the relayer cannot start, and why one step of a task did not finish.

use crate::config::ResolveError;
use alloy::{
    primitives::{Address, B256},
    transports::TransportError,
};
use nxtp_agent::{Classify, SecretError, StorageError, TaskError};
use nxtp_chain::{ChainError, ConnectError, FailureReason, StartError, SubmitError};
use nxtp_primitives::Domain;

/// Why the relayer stopped. Start-up errors name the config field to fix.
#[derive(Debug, thiserror::Error)]
pub enum MessageRelayerError {
    /// The config does not describe a usable deployment.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The key could not be loaded.
    #[error("signer: {0}")]
    Signer(#[source] SecretError),
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
    /// The manifest names an address where nothing is deployed.
    #[error("manifest: no contract at {address} ({what}) on domain {domain}")]
    NoContract {
        /// The chain.
        domain: Domain,
        /// What should be there.
        what: String,
        /// The address.
        address: Address,
    },
    /// A start-up check could not be made.
    #[error("chains.{domain}: cannot read the code at {address}: {source}")]
    StartupRead {
        /// The chain.
        domain: Domain,
        /// The address.
        address: Address,
        /// Why.
        source: TransportError,
    },
    /// A start-up failure every agent shares (here: the metrics could not be registered).
    #[error(transparent)]
    Start(#[from] StartError),
    /// A destination's transaction submitter could not start.
    #[error("chains.{domain}: cannot start the transaction submitter: {source}")]
    Submitter {
        /// The destination.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// A task failed in a way that retrying cannot fix.
    #[error("{task}: {source}")]
    Fatal {
        /// The task, e.g. `relay 1000 -> 2000`.
        task: String,
        /// Its error.
        source: Box<StepError>,
    },
    /// A task panicked.
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// Why one step of an indexing or relaying task did not finish. [`Classify::is_fatal`] tells
/// which stop the relayer; the others are retried with backoff while `/health` reports them.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A chain, an indexer, the database or the submitter failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A relay transaction failed; it is retried under a fresh key.
    #[error("relaying {old} -> {new} failed: {reason}")]
    Relay {
        /// The update's old root.
        old: B256,
        /// Its new root.
        new: B256,
        /// Why.
        reason: FailureReason,
    },
    /// The Replica is failed or halted and accepts nothing.
    #[error("the Replica at {replica} is not active (state {state})")]
    ReplicaInactive {
        /// The Replica.
        replica: Address,
        /// Its state (1 failed, 2 halted).
        state: u8,
    },
}

impl Classify for StepError {
    /// The relayer stops when the database or a submitter broke; everything else is retried.
    fn is_retryable(&self) -> bool {
        match self {
            Self::Chain(err) => err.is_retryable(),
            Self::Relay { .. } | Self::ReplicaInactive { .. } => true,
        }
    }
}

nxtp_chain::chain_error_sources!(StepError);
