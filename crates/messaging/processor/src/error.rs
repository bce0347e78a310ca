//! Why the processor stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::TaskError;
use nxtp_chain::{IndexerError, StartError};
use nxtp_primitives::{Domain, MerkleError};

/// What stops the processor. Transient RPC failures never do: they are logged, reported on
/// `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The configuration refers to a domain it does not describe.
    #[error("configuration: {0}")]
    Config(String),
    /// The processor could not start (its key, database, chains, metrics or submitters), or a
    /// submitter stopped.
    #[error(transparent)]
    Start(#[from] StartError),
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

nxtp_chain::start_error_sources!(ProcessorError);

/// A contract read's error, as text safe to log.
pub(crate) fn contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}

/// A transport error, as text safe to log.
pub(crate) fn transport_error(error: TransportError) -> String {
    nxtp_chain::without_url(error).to_string()
}
