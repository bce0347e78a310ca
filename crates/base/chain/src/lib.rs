//! Chain access every nxtp agent shares:
//!
//! - [`config`], [`provider`], [`finality`], [`retry`]: re-exported from `nxtp_provider`, which
//!   holds how to reach a chain without the agent runtime ([`ChainConfig`], [`connect`],
//!   [`Finality`], the backoff);
//! - [`heads`]: one chain's head followed once per agent and shared by all its tasks
//!   ([`Heads`]), so they need not each poll `eth_blockNumber`;
//! - [`indexer`]: follow contract logs at a confirmation depth, with a persistent cursor and
//!   reorg detection ([`Indexer`]), batch by batch until shutdown ([`Follower`]);
//! - [`submitter`]: send transactions with persistent nonces, fee bumps and confirmation
//!   tracking ([`Submitter`]);
//! - [`metrics`]: their counters, for the agent's registry ([`ChainMetrics`]);
//! - [`start`]: why an agent could not start, for the reasons every agent shares
//!   ([`StartError`]);
//! - [`step`]: why one step of an agent's chain task failed, for the reasons every such task
//!   shares ([`ChainError`]).
//!
//! Both the indexer and the submitter keep their state in the agent's SQLite store: open it
//! with [`SCHEMAS`] among the agent's own schemas.

pub mod heads;
pub mod indexer;
pub mod metrics;
pub mod start;
pub mod step;
pub mod submitter;

pub use heads::Heads;
pub use indexer::{Batch, DeepReorg, Follower, Indexer, IndexerError};
pub use metrics::ChainMetrics;
pub use nxtp_provider::{
    config, connect, connect_with_wallet, contract_without_url, domains, finality, provider, retry,
    without_url, ChainConfig, ConnectError, DomainSettings, Domains, Finality, FinalityError,
    MissingDomain, RedactedUrl,
};
pub use start::{connect_all, StartError};
pub use step::ChainError;
pub use submitter::{
    FailureReason, FinalState, OperationId, OperationState, SubmitError, SubmitOptions, Submitter,
    SubmitterConfig, SubmitterStopped,
};

/// What [`start_error_sources!`] and [`chain_error_sources!`] name, reachable from any agent
/// crate.
#[doc(hidden)]
pub mod __private {
    pub use nxtp_agent::{prometheus, SecretError, StorageError};
}

use nxtp_agent::{
    storage::{Schema, StorageError},
    Store,
};
use std::path::Path;

/// The tables of the indexer and the submitter, for [`Store::open`](nxtp_agent::Store::open).
pub const SCHEMAS: [Schema; 2] = [indexer::SCHEMA, submitter::SCHEMA];

/// Opens an agent's database at `path` with the indexer's and the submitter's tables
/// ([`SCHEMAS`]) and the agent's own `schemas`.
pub fn open_store(path: &Path, schemas: &[Schema]) -> Result<Store, StorageError> {
    let all: Vec<Schema> = SCHEMAS.iter().chain(schemas).copied().collect();
    Store::open(path, &all)
}
