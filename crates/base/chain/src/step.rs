//! Why one step of an agent's chain task (read a chain, index it, send a transaction, record
//! the outcome) did not finish, for the reasons every such task shares.
//!
//! An agent's own step error wraps [`ChainError`] once
//! (`#[error(transparent)] Chain(#[from] ChainError)`) next to the failures that are its own,
//! and asks [`Classify`] of it; [`chain_error_sources!`](crate::chain_error_sources) lets `?`
//! convert the indexer's, the database's and the submitter's errors straight into it.

use crate::{contract_without_url, without_url, FinalityError, IndexerError, SubmitError};
use alloy::transports::TransportError;
use nxtp_agent::{Classify, StorageError};
use nxtp_primitives::Domain;

/// Why a step failed at a chain, its indexer, the database or the submitter. RPC failures carry
/// the transport's error without the endpoint's URL, which may hold an API key.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A JSON-RPC call failed.
    #[error("{method} on domain {chain} failed: {source}")]
    Rpc {
        /// The chain.
        chain: Domain,
        /// The method.
        method: &'static str,
        /// The transport's error, without the endpoint's URL.
        source: TransportError,
    },
    /// A contract read failed.
    #[error("reading {what} on domain {chain} failed: {source}")]
    Call {
        /// The chain.
        chain: Domain,
        /// What was read.
        what: &'static str,
        /// Why, without the endpoint's URL.
        source: alloy::contract::Error,
    },
    /// The chain's newest final block could not be read.
    #[error("domain {chain}: {source}")]
    Finality {
        /// The chain.
        chain: Domain,
        /// Why.
        source: FinalityError,
    },
    /// An indexer failed.
    #[error(transparent)]
    Indexer(#[from] IndexerError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The submitter refused an operation or stopped.
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

impl Classify for ChainError {
    /// A broken database stops the agent; the indexer and the submitter say for their own
    /// errors; failed reads pass (the endpoint may come back).
    fn is_retryable(&self) -> bool {
        match self {
            Self::Storage(_) => false,
            Self::Indexer(err) => err.is_retryable(),
            Self::Submit(err) => err.is_retryable(),
            Self::Rpc { .. } | Self::Call { .. } | Self::Finality { .. } => true,
        }
    }
}

impl ChainError {
    /// The [`Rpc`](Self::Rpc) error of `method` on `chain`, for `map_err`: drops the
    /// endpoint's URL.
    pub fn rpc(chain: Domain, method: &'static str) -> impl FnOnce(TransportError) -> Self {
        move |source| Self::Rpc {
            chain,
            method,
            source: without_url(source),
        }
    }

    /// The [`Call`](Self::Call) error of reading `what` on `chain`, for `map_err`: drops the
    /// endpoint's URL.
    pub fn call(chain: Domain, what: &'static str) -> impl FnOnce(alloy::contract::Error) -> Self {
        move |source| Self::Call {
            chain,
            what,
            source: contract_without_url(source),
        }
    }

    /// The [`Finality`](Self::Finality) error of `chain`, for `map_err`.
    pub fn finality(chain: Domain) -> impl FnOnce(FinalityError) -> Self {
        move |source| Self::Finality { chain, source }
    }
}

/// Implements `From` for an agent's step error (which wraps [`ChainError`]) from the indexer's,
/// the database's and the submitter's errors, so that `?` keeps working on them in the agent's
/// code.
///
/// ```ignore
/// nxtp_chain::chain_error_sources!(StepError);
/// ```
#[macro_export]
macro_rules! chain_error_sources {
    ($error:ty) => {
        $crate::from_through!(
            $error => $crate::ChainError:
            $crate::IndexerError,
            $crate::__private::StorageError,
            $crate::SubmitError
        );
    };
}

/// Implements `From<source>` for `error` through `via` (which `error` converts from) for each
/// listed source: `from_through!(AgentError => StartError: SecretError, StorageError)`.
#[doc(hidden)]
#[macro_export]
macro_rules! from_through {
    ($error:ty => $via:ty: $($source:ty),+ $(,)?) => {
        $(
            impl ::core::convert::From<$source> for $error {
                fn from(source: $source) -> Self {
                    <$via>::from(source).into()
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum StepError {
        #[error(transparent)]
        Chain(#[from] ChainError),
    }

    crate::chain_error_sources!(StepError);

    #[test]
    fn a_broken_database_is_fatal_and_reads_pass() {
        let StepError::Chain(storage) = StorageError::from(rusqlite::Error::InvalidQuery).into();
        assert!(matches!(storage, ChainError::Storage(_)) && storage.is_fatal());
        let down = alloy::transports::TransportErrorKind::custom_str("down");
        let finality = ChainError::finality(Domain(1000))(FinalityError::Rpc {
            what: "finalized",
            source: down,
        });
        assert!(finality.is_retryable());
        assert!(
            finality.to_string().starts_with("domain 1000: "),
            "{finality}"
        );
    }
}
