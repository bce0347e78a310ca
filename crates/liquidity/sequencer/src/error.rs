//! Why the sequencer stops, and how RPC failures are reported without leaking endpoint keys.

use nxtp_agent::{SecretError, StorageError};
use nxtp_chain::{ConnectError, IndexerError};
use nxtp_primitives::Domain;
use std::io;

/// What stops the sequencer. Failing chain reads and an unreachable relayer never do: they are
/// logged, reported on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
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
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// An event of a followed contract that cannot be used.
    #[error(transparent)]
    BadEvent(#[from] nxtp_bindings::BadEvent),
    /// The API could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The API server failed.
    #[error("the API server failed: {0}")]
    Serve(#[source] io::Error),
    /// The relayer client could not be built.
    #[error("relayer client: {0}")]
    Relayer(String),
    /// The sequencer's key could not sign a selection.
    #[error("cannot sign a selection: {0}")]
    Sign(#[source] nxtp_primitives::SignatureError),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}

/// A contract read's error, as text safe to log.
pub(crate) fn redact_contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}
