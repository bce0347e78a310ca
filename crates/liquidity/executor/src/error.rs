//! Why the executor stops.

use nxtp_api::relayer::RelayerClientError;
use nxtp_chain::{IndexerError, StartError};

/// What stops the executor. Unreachable chains or relayer never do: they are logged, reported
/// on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The executor could not start (its database, chains or metrics), or its database
    /// failed.
    #[error(transparent)]
    Start(#[from] StartError),
    /// An accepted relayer fee asset's decimals could not be read at start-up.
    #[error("cannot start: {0}")]
    FeeAssets(#[from] nxtp_liquidity::FeeAssetError),
    /// The relayer client could not be built from the configured URL.
    #[error("relayer_url: {0}")]
    Relayer(#[source] RelayerClientError),
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

nxtp_chain::start_error_sources!(ExecutorError);
