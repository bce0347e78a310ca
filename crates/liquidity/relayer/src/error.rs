//! Why the relayer stops.

use crate::jobs::JobError;
use nxtp_agent::{SecretError, StorageError};
use nxtp_chain::{ConnectError, SubmitError};
use nxtp_primitives::Domain;
use std::{io, net::SocketAddr};

/// What stops the relayer. Failing jobs never do: they fail alone, and say why.
#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
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
    /// A domain's submitter could not start.
    #[error("domain {domain}: submitter: {source}")]
    Submitter {
        /// The domain.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// A domain's submitter stopped (it logged why).
    #[error("domain {0}: the submitter stopped")]
    SubmitterStopped(Domain),
    /// The job API's address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The job API stopped with an I/O error.
    #[error("job API failed: {0}")]
    Serve(#[source] io::Error),
    /// Jobs recorded before a restart could not be handed to their submitters.
    #[error("cannot resume recorded jobs: {0}")]
    Resume(#[source] JobError),
    /// A task panicked or was aborted.
    #[error(transparent)]
    Task(#[from] nxtp_agent::TaskError),
}
