//! Why the sequencer stops, and how RPC failures are reported without leaking endpoint keys.

use nxtp_chain::{IndexerError, StartError};
use std::io;

/// What stops the sequencer. Failing chain reads and an unreachable relayer never do: they are
/// logged, reported on `/health`, and retried.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The sequencer could not start (its key, database, chains, metrics or API address), or
    /// its database failed.
    #[error(transparent)]
    Start(#[from] StartError),
    /// An accepted relayer fee asset's decimals could not be read at start-up.
    #[error("cannot start: {0}")]
    FeeAssets(#[from] nxtp_liquidity::FeeAssetError),
    /// An indexer failed for good.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// An event of a followed contract that cannot be used.
    #[error(transparent)]
    BadEvent(#[from] nxtp_bindings::BadEvent),
    /// The API server failed.
    #[error("the API server failed: {0}")]
    Serve(#[source] io::Error),
    /// The relayer client could not be built.
    #[error("relayer client: {0}")]
    Relayer(String),
    /// The sequencer's key could not sign a selection.
    #[error("cannot sign a selection: {0}")]
    Sign(#[source] nxtp_primitives::SignatureError),
    /// The consensus node (consensus mode) did not start.
    #[error("consensus node: {0}")]
    Node(#[from] nxtp_consensus::NodeError),
    /// The consensus node's key is not a secp256k1 key.
    #[error(transparent)]
    NodeKey(#[from] nxtp_consensus::signing::InvalidNodeKey),
    /// The consensus node's store failed.
    #[error("consensus store: {0}")]
    ConsensusStore(#[from] nxtp_consensus::store::StoreError),
    /// The consensus node stopped deciding.
    #[error("consensus: {0}")]
    Consensus(String),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}

nxtp_chain::start_error_sources!(SequencerError);

/// A contract read's error, as text safe to log.
pub(crate) fn redact_contract_error(error: alloy::contract::Error) -> String {
    nxtp_chain::contract_without_url(error).to_string()
}
