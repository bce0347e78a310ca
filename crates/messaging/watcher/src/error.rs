//! Why the watcher stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::{SecretError, StorageError, TaskError};
use nxtp_chain::{ConnectError, IndexerError, SubmitError};
use nxtp_primitives::Domain;

/// What stops the watcher. Transient RPC failures never do: they are logged, reported on
/// `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
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
    /// The submitter of a domain failed.
    #[error("domain {domain}: submitter: {source}")]
    Submitter {
        /// The domain.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// The submitter of a domain stopped (it logged why).
    #[error("domain {0}: the submitter stopped")]
    SubmitterStopped(Domain),
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// The watcher's key could not sign a notice.
    #[error("cannot sign a notice: {0}")]
    Signing(#[from] nxtp_primitives::SignatureError),
    /// A task of the watcher panicked.
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
