//! Why an agent could not start, for the reasons every agent shares: its key, its database, its
//! chains, its metrics, its transaction submitters and its listening socket.
//!
//! Each agent's own error wraps [`StartError`] once
//! (`#[error(transparent)] Start(#[from] StartError)`) and keeps only the variants that are its
//! own; [`start_error_sources!`](crate::start_error_sources) lets `?` convert the sources
//! straight into it.

use crate::{connect, ConnectError, DomainSettings, Domains, SubmitError};
use alloy::providers::DynProvider;
use nxtp_agent::{SecretError, StorageError};
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, io, net::SocketAddr};

/// Why an agent could not start (or, for [`Storage`](Self::Storage),
/// [`Submitter`](Self::Submitter) and [`SubmitterStopped`](Self::SubmitterStopped), stopped
/// later for the same reasons). The messages are what operators read in the log; they name the
/// domain or address to look at.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The signing key could not be loaded.
    #[error("cannot load the signing key: {0}")]
    Key(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A chain could not be reached at start-up, or serves another chain id.
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
    /// A domain's transaction submitter could not start (or, later, failed for good).
    #[error("domain {domain}: submitter: {source}")]
    Submitter {
        /// The domain.
        domain: Domain,
        /// Why.
        source: SubmitError,
    },
    /// A domain's transaction submitter stopped (it logged why).
    #[error("domain {0}: the submitter stopped")]
    SubmitterStopped(Domain),
    /// An API's address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
}

impl StartError {
    /// The [`Connect`](Self::Connect) error of `domain`, for `map_err`.
    pub fn connect(domain: Domain) -> impl FnOnce(ConnectError) -> Self {
        move |source| Self::Connect { domain, source }
    }

    /// The [`Submitter`](Self::Submitter) error of `domain`, for `map_err`.
    pub fn submitter(domain: Domain) -> impl FnOnce(SubmitError) -> Self {
        move |source| Self::Submitter { domain, source }
    }
}

/// Connects to the chain of every domain of `domains` (checking each one's chain id), in domain
/// order; the first domain that cannot be reached is the [`StartError::Connect`] error.
pub async fn connect_all<T: DomainSettings>(
    domains: &Domains<T>,
) -> Result<BTreeMap<Domain, DynProvider>, StartError> {
    let mut providers = BTreeMap::new();
    for (&domain, entry) in domains {
        let provider = connect(entry.chain())
            .await
            .map_err(StartError::connect(domain))?;
        providers.insert(domain, provider);
    }
    Ok(providers)
}

/// Implements `From` for an agent's error (which wraps [`StartError`]) from each error
/// [`StartError`] converts from (the key's, the database's, the metrics'), so that `?` keeps
/// working on them in the agent's code. An agent that reports one of them its own way lists
/// the others after a colon.
///
/// ```ignore
/// nxtp_chain::start_error_sources!(ProcessorError);
/// nxtp_chain::start_error_sources!(RouterError: nxtp_agent::StorageError);
/// ```
#[macro_export]
macro_rules! start_error_sources {
    ($error:ty: $($source:ty),+ $(,)?) => {
        $crate::from_through!($error => $crate::StartError: $($source),+);
    };
    ($error:ty) => {
        $crate::start_error_sources!(
            $error:
            $crate::__private::SecretError,
            $crate::__private::StorageError,
            $crate::__private::prometheus::Error
        );
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum AgentError {
        #[error(transparent)]
        Start(#[from] StartError),
    }

    crate::start_error_sources!(AgentError);

    /// An agent that reports its key its own way.
    #[derive(Debug, thiserror::Error)]
    enum OwnKeyError {
        #[error("key: {0}")]
        Key(#[from] SecretError),
        #[error(transparent)]
        Start(#[from] StartError),
    }

    crate::start_error_sources!(OwnKeyError: StorageError);

    fn open() -> Result<(), AgentError> {
        Err(StorageError::from(rusqlite::Error::InvalidQuery))?;
        Ok(())
    }

    #[test]
    fn messages_name_what_to_look_at() {
        assert_eq!(
            StartError::SubmitterStopped(Domain(1000)).to_string(),
            "domain 1000: the submitter stopped"
        );
        let addr = SocketAddr::from(([127, 0, 0, 1], 9));
        let bind = StartError::Bind {
            addr,
            source: io::Error::other("in use"),
        };
        assert_eq!(bind.to_string(), "cannot listen on 127.0.0.1:9: in use");
        let metrics = StartError::from(nxtp_agent::prometheus::Error::Msg("twice".into()));
        assert!(
            metrics.to_string().starts_with("cannot register metrics: "),
            "{metrics}"
        );
    }

    #[test]
    fn sources_convert_through_the_agents_error() {
        let err = open().expect_err("storage error");
        assert!(matches!(err, AgentError::Start(StartError::Storage(_))));
        let own: OwnKeyError = StorageError::from(rusqlite::Error::InvalidQuery).into();
        assert!(matches!(own, OwnKeyError::Start(StartError::Storage(_))));
    }
}
