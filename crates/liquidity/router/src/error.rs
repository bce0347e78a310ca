//! Why the router stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::{SecretError, StorageError};
use nxtp_api::sequencer::SequencerClientError;
use nxtp_chain::{ConnectError, IndexerError};
use nxtp_primitives::{Domain, SignatureError};

/// What stops the router. Transient RPC and sequencer failures never do: they are logged,
/// reported on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// The signing key could not be loaded.
    #[error("cannot load the router's key: {0}")]
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
    /// The sequencer's client could not be built.
    #[error("sequencer client: {0}")]
    Sequencer(#[source] SequencerClientError),
    /// The metrics could not be registered.
    #[error("cannot register metrics: {0}")]
    Metrics(#[from] nxtp_agent::prometheus::Error),
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

/// A contract read's error, as text safe to log.
pub(crate) fn contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}

/// A transport error, as text safe to log.
pub(crate) fn transport_error(error: TransportError) -> String {
    nxtp_chain::without_url(error).to_string()
}

/// How one step of a task failed: retried later, or the end of the router.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An RPC endpoint or the sequencer failed; the step is retried after a backoff.
    Transient(String),
    /// Retrying cannot help.
    Fatal(RouterError),
}

impl<E: Into<RouterError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::Fatal(error.into())
    }
}
