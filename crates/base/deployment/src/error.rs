//! Why a deployment failed.

use alloy::primitives::{Address, B256, U256};
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
    /// A sequencer threshold `Connext` would refuse: zero, or above the number of sequencers.
    #[error(
        "the sequencer threshold {threshold} is not between 1 and the {sequencers} sequencer(s) approved"
    )]
    SequencerThreshold {
        /// The threshold asked for.
        threshold: u32,
        /// How many sequencers the plan approves.
        sequencers: usize,
    },
    /// One sequencer listed twice (it would count once on chain).
    #[error("the sequencer {0} is listed twice")]
    DuplicateSequencer(Address),
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
    /// A chain's RPC did not answer.
    #[error("domain {domain}: cannot reach {rpc_url}: {reason}")]
    Unreachable {
        /// Which chain.
        domain: Domain,
        /// Its configured RPC.
        rpc_url: String,
        /// Why.
        reason: String,
    },
    /// A chain's RPC reports another chain than the one configured.
    #[error(
        "domain {domain}: {rpc_url} reports chain id {reported}, not the configured {configured}"
    )]
    ChainIdMismatch {
        /// Which chain.
        domain: Domain,
        /// Its configured RPC.
        rpc_url: String,
        /// The configured chain id.
        configured: u64,
        /// What the RPC reports.
        reported: u64,
    },
    /// The deployer cannot pay for what is left to deploy on a chain (estimated before the first transaction).
    #[error("domain {domain}: the deployer {deployer} holds {balance} wei, the deployment needs about {needed}")]
    InsufficientFunds {
        /// Which chain.
        domain: Domain,
        /// The deployer's address.
        deployer: Address,
        /// What it holds.
        balance: U256,
        /// What the steps left need, at the node's current fees, bond included.
        needed: U256,
    },
    /// The deployment journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] crate::resumable::JournalError),
    /// What is on chain is not what the deployment should have left there.
    #[error("domain {domain}: check failed: {what}")]
    Check {
        /// Which chain.
        domain: Domain,
        /// What does not match.
        what: String,
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
