//! Why the executor stops.

use nxtp_agent::StorageError;
use nxtp_api::relayer::RelayerClientError;
use nxtp_chain::{ConnectError, IndexerError};
use nxtp_primitives::Domain;

/// What stops the executor. Unreachable chains or relayer never do: they are logged, reported
/// on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
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
    /// The relayer client could not be built from the configured URL.
    #[error("relayer_url: {0}")]
    Relayer(#[source] RelayerClientError),
    /// The metrics could not be registered.
    #[error("cannot register metrics: {0}")]
    Metrics(#[from] nxtp_agent::prometheus::Error),
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// An event of a followed contract that cannot be used.
    #[error(transparent)]
    BadEvent(#[from] nxtp_bindings::BadEvent),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}
