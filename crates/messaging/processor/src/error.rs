//! Why the processor stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::{SecretError, StorageError, TaskError};
use nxtp_chain::{ConnectError, IndexerError, SubmitError};
use nxtp_primitives::{Domain, MerkleError};

/// What stops the processor. Transient RPC failures never do: they are logged, reported on
/// `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The configuration refers to a domain it does not describe.
    #[error("configuration: {0}")]
    Config(String),
    /// The signing key could not be loaded.
    #[error("cannot load the signing key: {0}")]
    Key(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A chain could not be reached at start-up.
    #[error("domain {domain}: {source}")]
    Connect {
        /// The domain.
        domain: Domain,
        /// Why.
        source: ConnectError,
    },
    /// The metrics could not be registered.
    #[error("cannot register metrics: {0}")]
    Metrics(#[from] nxtp_agent::prometheus::Error),
    /// The submitter of a destination failed.
    #[error("domain {domain}: submitter: {source}")]
    Submitter {
        /// The destination.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// The submitter of a destination stopped (it logged why).
    #[error("domain {0}: the submitter stopped")]
    SubmitterStopped(Domain),
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// A start-up read failed.
    #[error("domain {domain}: {what}: {message}")]
    Rpc {
        /// The domain.
        domain: Domain,
        /// What was read.
        what: &'static str,
        /// Why it failed (endpoint redacted).
        message: String,
    },
    /// The Home's logs skip a leaf, which a complete log read never does.
    #[error(
        "origin {origin}: Dispatch of leaf {found} follows {expected} leaves: a leaf is missing"
    )]
    LeafGap {
        /// The origin.
        origin: Domain,
        /// The leaf index expected next.
        expected: u32,
        /// The one found.
        found: u32,
    },
    /// A leaf index was delivered again with a different leaf, without a reorg being reported.
    #[error("origin {origin}: leaf {index} changed without a reported reorg")]
    LeafConflict {
        /// The origin.
        origin: Domain,
        /// The leaf index.
        index: u32,
    },
    /// A Home event could not be read.
    #[error("origin {origin}: unreadable {event} event in block {block}: {reason}")]
    BadEvent {
        /// The origin.
        origin: Domain,
        /// The event's name.
        event: &'static str,
        /// Its block.
        block: u64,
        /// Why.
        reason: String,
    },
    /// The Merkle tree refused a leaf.
    #[error("origin {origin}: {source}")]
    Tree {
        /// The origin.
        origin: Domain,
        /// Why.
        source: MerkleError,
    },
    /// A task of the processor panicked.
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// A contract read's error, as text safe to log.
pub(crate) fn contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}

/// A transport error, as text safe to log.
pub(crate) fn transport_error(error: TransportError) -> String {
    nxtp_chain::without_url(error).to_string()
}
