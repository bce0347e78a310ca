//! Chain access every nxtp agent shares:
//!
//! - [`config`]: how an agent reaches a chain ([`ChainConfig`]);
//! - [`provider`]: [`connect`] to it, checking the chain id;
//! - [`finality`]: when a block can no longer be reorged away ([`Finality`]);
//! - [`indexer`]: follow contract logs at a confirmation depth, with a persistent cursor and
//!   reorg detection ([`Indexer`]), batch by batch until shutdown ([`Follower`]);
//! - [`submitter`]: send transactions with persistent nonces, fee bumps and confirmation
//!   tracking ([`Submitter`]);
//! - [`metrics`]: their counters, for the agent's registry ([`ChainMetrics`]).
//!
//! Both the indexer and the submitter keep their state in the agent's SQLite store: open it
//! with [`SCHEMAS`] among the agent's own schemas.

pub mod config;
pub mod finality;
pub mod indexer;
pub mod metrics;
pub mod provider;
pub mod retry;
pub mod submitter;

pub use config::{ChainConfig, RedactedUrl};
pub use finality::{Finality, FinalityError};
pub use indexer::{Batch, DeepReorg, Follower, Indexer, IndexerError};
pub use metrics::ChainMetrics;
pub use provider::{connect, connect_with_wallet, contract_without_url, without_url, ConnectError};
pub use submitter::{
    FailureReason, FinalState, OperationId, OperationState, SubmitError, SubmitOptions, Submitter,
    SubmitterConfig,
};

use nxtp_agent::storage::Schema;

/// The tables of the indexer and the submitter, for [`Store::open`](nxtp_agent::Store::open).
pub const SCHEMAS: [Schema; 2] = [indexer::SCHEMA, submitter::SCHEMA];
