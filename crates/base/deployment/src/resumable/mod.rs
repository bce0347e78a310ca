//! A deployment of both layers onto live chains that survives being killed: every step is journaled
//! ([`Journal`]) before and after its transaction, so running it again finishes the job without sending
//! anything twice.
//!
//! [`preflight`] checks every chain before the first transaction (reachable, the configured chain id,
//! distinct domains, the deployer able to pay for what is left); [`deploy`] runs the phases (each domain
//! in parallel, the transactions of one phase on one domain sent together) and returns the manifest;
//! [`verify`] checks what is on chain against the build's artifacts and the plan's wiring.

mod journal;
mod run;
mod steps;
mod verify;

pub use journal::{Entry, Journal, JournalError, StepState};
pub use run::{deploy, preflight};
pub use steps::PHASES;
pub use verify::verify;

use crate::AssetPlan;
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, time::Duration};

/// Thirty minutes: the production optimistic window (and its floor), time for watchers to act.
pub const PRODUCTION_OPTIMISTIC_SECONDS: u32 = 30 * 60;

/// The sequencer threshold a new `Connext` starts with: one sequencer's signature routes a transfer.
pub const DEFAULT_SEQUENCER_THRESHOLD: u32 = 1;

/// Refuses a sequencer set and threshold `Connext` would refuse: a sequencer listed twice, or a
/// threshold of zero or above the set's size (1 is allowed with no sequencer, as a new Connext has).
pub fn check_sequencer_quorum(
    sequencers: &[Address],
    threshold: u32,
) -> Result<(), crate::DeployError> {
    let mut seen = std::collections::BTreeSet::new();
    if let Some(&twice) = sequencers
        .iter()
        .find(|&&sequencer| !seen.insert(sequencer))
    {
        return Err(crate::DeployError::DuplicateSequencer(twice));
    }
    let max = sequencers.len().max(1);
    if threshold == 0 || threshold as usize > max {
        return Err(crate::DeployError::SequencerThreshold {
            threshold,
            sequencers: sequencers.len(),
        });
    }
    Ok(())
}

/// One chain to deploy to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainPlan {
    /// The protocol domain it plays.
    pub domain: Domain,
    /// Its JSON-RPC endpoint.
    pub rpc_url: String,
    /// The EIP-155 chain id its RPC must report.
    pub chain_id: u64,
}

/// Everything a deployment of both layers needs besides the deployer's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The chains, each a distinct domain.
    pub chains: Vec<ChainPlan>,
    /// Each Replica's optimistic window.
    pub optimistic_seconds: u32,
    /// Each Replica's floor on its window, fixed at deployment.
    pub min_optimistic_seconds: u32,
    /// The bond each Home requires of its updater; the deployer deposits it.
    pub required_bond: U256,
    /// The updater every Home and Replica accepts roots from.
    pub updater: Address,
    /// The watchers every ConnectionManager permits for every remote domain.
    pub watchers: Vec<Address>,
    /// The sequencers approved on every Connext.
    pub sequencers: Vec<Address>,
    /// How many distinct approved sequencers must sign a fast-path selection on every Connext: 1
    /// (what a new Connext starts with, [`DEFAULT_SEQUENCER_THRESHOLD`]) up to `sequencers.len()`.
    pub sequencer_threshold: u32,
    /// The relayers approved on every Connext.
    pub relayers: Vec<Address>,
    /// The routers set up on every Connext (each the owner of its liquidity).
    pub routers: Vec<Address>,
    /// Where every Connext sends relayer fees.
    pub relayer_fee_vault: Address,
    /// The owner proposed for every contract once wired (it accepts with its own key); `None` or the
    /// deployer's address leaves the deployer the owner.
    pub owner: Option<Address>,
    /// The assets registered on every domain.
    pub assets: Vec<AssetPlan>,
    /// How long to wait for any one transaction to be mined.
    pub receipt_timeout: Duration,
}

impl Plan {
    /// The configured chain id of `domain`.
    pub fn chain_id(&self, domain: Domain) -> Option<u64> {
        self.chains
            .iter()
            .find(|chain| chain.domain == domain)
            .map(|chain| chain.chain_id)
    }
}

/// What earlier steps created, read from the journal, and the Homes' roots the Replicas start from.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Created addresses by journal key (`<domain>/<step>`).
    pub created: BTreeMap<String, Address>,
    /// Each domain's Home's committed root, once read.
    pub roots: BTreeMap<Domain, B256>,
}

impl Known {
    /// What `domain`'s step `step` created; zero if it has not run.
    pub fn address(&self, domain: Domain, step: &str) -> Address {
        self.created
            .get(&key(domain, step))
            .copied()
            .unwrap_or_default()
    }

    /// The canonical token of `asset`: the configured one, or the DemoToken deployed on its home.
    pub fn canonical_token(&self, _plan: &Plan, asset: &AssetPlan) -> Address {
        match asset.canonical {
            crate::CanonicalToken::Existing(token) => token,
            crate::CanonicalToken::DeployDemoToken => {
                self.address(asset.home, &steps::demo_token(&asset.symbol))
            }
        }
    }

    fn from_journal(journal: &Journal) -> Self {
        Self {
            created: journal
                .done()
                .into_iter()
                .filter_map(|(step, (_, created, _))| Some((step, created?)))
                .collect(),
            roots: BTreeMap::new(),
        }
    }
}

/// The journal's key of `step` on `domain`.
pub fn key(domain: Domain, step: &str) -> String {
    format!("{domain}/{step}")
}
