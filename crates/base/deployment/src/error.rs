//! Why a deployment failed.

use alloy::primitives::B256;
use nxtp_primitives::Domain;
use std::error::Error as StdError;

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Nothing to deploy to.
    #[error("no domains to deploy to")]
    NoDomains,
    /// Domain zero is not a domain.
    #[error("domain 0 is not valid")]
    ZeroDomain,
    /// One domain listed twice.
    #[error("domain {0} is listed twice")]
    DuplicateDomain(Domain),
    /// A step failed.
    #[error("domain {domain}: {step}")]
    Step {
        /// Where.
        domain: Domain,
        /// What was being done.
        step: String,
        /// Why it failed.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A transaction was mined but reverted.
    #[error("domain {domain}: {step}: transaction {tx} reverted")]
    Reverted {
        /// Where.
        domain: Domain,
        /// What was being done.
        step: String,
        /// The transaction.
        tx: B256,
    },
}

impl DeployError {
    /// `step` on `domain` failed because of `source`.
    pub fn step(
        domain: Domain,
        step: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Step {
            domain,
            step: step.into(),
            source: Box::new(source),
        }
    }

    /// `step` on `domain` failed for the reason `why` (no underlying error to carry).
    pub fn refused(domain: Domain, step: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Step {
            domain,
            step: step.into(),
            source: why.into().into(),
        }
    }
}
