//! Why the relayer stops.

use crate::jobs::JobError;
use alloy::primitives::Address;
use nxtp_chain::StartError;
use std::io;

/// What stops the relayer. Failing jobs never do: they fail alone, and say why.
#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
    /// The relayer could not start (its key, database, chains, metrics, submitters or API
    /// address), or a submitter stopped.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The job API stopped with an I/O error.
    #[error("job API failed: {0}")]
    Serve(#[source] io::Error),
    /// Jobs recorded before a restart could not be handed to their submitters.
    #[error("cannot resume recorded jobs: {0}")]
    Resume(#[source] JobError),
    /// The configuration lists one key twice.
    #[error("signers: key {0} is listed twice")]
    RepeatedKey(Address),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}

nxtp_chain::start_error_sources!(RelayerError);
