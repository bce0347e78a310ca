//! Why the router stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::{prometheus, SecretError, StepFailure, StorageError};
use nxtp_api::sequencer::SequencerClientError;
use nxtp_chain::{IndexerError, StartError};
use nxtp_primitives::SignatureError;

/// What stops the router. Transient RPC and sequencer failures never do: they are logged,
/// reported on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// The signing key could not be loaded.
    #[error("cannot load the router's key: {0}")]
    Key(#[from] SecretError),
    /// The router could not start (its database, chains or metrics), or its database failed.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The sequencer's client could not be built.
    #[error("sequencer client: {0}")]
    Sequencer(#[source] SequencerClientError),
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// An event of a followed contract that cannot be used.
    #[error(transparent)]
    BadEvent(#[from] nxtp_bindings::BadEvent),
    /// A bid could not be signed.
    #[error("cannot sign a bid: {0}")]
    Signing(#[from] SignatureError),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}

// The key is reported as the router's own (`Key`), the other sources through `StartError`.
nxtp_chain::start_error_sources!(RouterError: StorageError, prometheus::Error);

/// A contract read's error, as text safe to log.
pub(crate) fn contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}

/// A transport error, as text safe to log.
pub(crate) fn transport_error(error: TransportError) -> String {
    nxtp_chain::without_url(error).to_string()
}

/// How one step of a task failed: retried later (an RPC endpoint or the sequencer failed; the
/// reason is logged and reported on `/health`), or the end of the router.
pub(crate) type Failure = StepFailure<RouterError>;

impl From<RouterError> for Failure {
    fn from(error: RouterError) -> Self {
        Self::Fatal(error)
    }
}
