//! Why the watcher stops, and how RPC failures are reported without leaking endpoint keys.

use alloy::transports::TransportError;
use nxtp_agent::TaskError;
use nxtp_chain::{IndexerError, StartError};

/// What stops the watcher. Transient RPC failures never do: they are logged, reported on
/// `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
    /// The configuration refers to a domain it does not describe.
    #[error("configuration: {0}")]
    Config(String),
    /// The watcher could not start (its key, database, chains, metrics or submitters), or a
    /// submitter failed or stopped.
    #[error(transparent)]
    Start(#[from] StartError),
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

nxtp_chain::start_error_sources!(WatcherError);

/// A contract read's error, as text safe to log.
pub(crate) fn contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}

/// A transport error, as text safe to log.
pub(crate) fn transport_error(error: TransportError) -> String {
    nxtp_chain::without_url(error).to_string()
}
