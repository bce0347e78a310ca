//! Why the indexer stops.

use crate::store::StoreError;
use nxtp_chain::{IndexerError, StartError};

/// What stops the indexer. Unreachable chains, and a PostgreSQL server that stops answering,
/// never do: they are logged, reported on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum IndexerAgentError {
    /// The indexer could not start (its database, chains, metrics or API socket).
    #[error(transparent)]
    Start(#[from] StartError),
    /// The database failed for good.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// A chain indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// An event of a followed contract that cannot be used.
    #[error(transparent)]
    BadEvent(#[from] nxtp_bindings::BadEvent),
    /// The status API's server failed.
    #[error("status API: {0}")]
    Serve(#[source] std::io::Error),
    /// The webhooks' HTTP client could not be built.
    #[error("webhooks: {0}")]
    Webhooks(String),
    /// The sequencer's client could not be built.
    #[error("sequencer client: {0}")]
    Sequencer(String),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}

nxtp_chain::start_error_sources!(IndexerAgentError);
