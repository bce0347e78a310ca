//! Reads the router's liquidity on every domain, for every configured asset, and exports it as
//! gauges. Purely for operators: bids read the balance afresh.
//!
//! RPC cost: a domain is read again only once a block that may have changed its state came (the
//! head's state block moved, see [`Tip::state_block`]), at that head's hash, and at most every
//! `balance_interval`: an idle chain costs no request, a busy one two `eth_call`s per asset per
//! interval at most.

use crate::{error::contract_error, metrics::RouterMetrics};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256},
    providers::DynProvider,
};
use futures::future::select_all;
use nxtp_agent::{CancellationToken, Health};
use nxtp_bindings::Connext;
use nxtp_chain::{heads::Tip, Heads};
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, time::Duration};

/// The health stream of the balance readings.
const STREAM: &str = "balances";

/// One configured asset: its name and canonical identity.
#[derive(Clone, Debug)]
pub(crate) struct TrackedAsset {
    pub(crate) name: String,
    pub(crate) canonical_domain: Domain,
    pub(crate) canonical_id: B256,
}

/// One domain whose balances are read: its `Connext` and the agent's head of its chain.
pub(crate) struct BalanceDomain {
    pub(crate) connext: Connext::ConnextInstance<DynProvider>,
    pub(crate) heads: Heads,
}

/// The task reading balances.
pub(crate) struct BalanceTask {
    pub(crate) router: Address,
    pub(crate) domains: BTreeMap<Domain, BalanceDomain>,
    pub(crate) assets: Vec<TrackedAsset>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) health: Health,
    /// The least time between two readings of one domain.
    pub(crate) interval: Duration,
}

impl BalanceTask {
    /// Reads each domain whose state may have changed, then waits at least `interval` and for a
    /// new head on any domain; until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), crate::RouterError> {
        // The state block each domain was last read at.
        let mut read_at: BTreeMap<Domain, B256> = BTreeMap::new();
        loop {
            let mut heads_seen = Vec::with_capacity(self.domains.len());
            let mut failure = None;
            for (&domain, watched) in &self.domains {
                let tip = match watched.heads.tip().await {
                    Ok(tip) => tip,
                    Err(err) => {
                        failure = Some(format!("the head of {domain}: {err}"));
                        continue;
                    }
                };
                heads_seen.push((watched, tip.number()));
                let Some(state) = changed_state(&tip, read_at.get(&domain)) else {
                    continue;
                };
                match self.read(domain, watched, tip.head().hash).await {
                    Ok(()) => {
                        read_at.insert(domain, state);
                    }
                    Err(reason) => failure = Some(reason),
                }
            }
            match failure {
                None => self.health.ok(STREAM),
                Some(reason) => {
                    tracing::warn!(error = %reason, "cannot read the router's balances");
                    self.health.failing(STREAM, reason);
                }
            }
            let any_new_head = async {
                if heads_seen.is_empty() {
                    return;
                }
                let waits = heads_seen
                    .iter()
                    .map(|(watched, seen)| Box::pin(watched.heads.changed_from(*seen)));
                select_all(waits).await;
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = async {
                    tokio::time::sleep(self.interval).await;
                    any_new_head.await;
                } => {}
            }
        }
    }

    /// Reads `domain`'s balances at block `at` into the gauges.
    async fn read(&self, domain: Domain, watched: &BalanceDomain, at: B256) -> Result<(), String> {
        let at = BlockId::hash(at);
        for asset in &self.assets {
            let failed = |what: &'static str| {
                move |err| {
                    format!(
                        "{what} of {} on {domain}: {}",
                        asset.name,
                        contract_error(err)
                    )
                }
            };
            let local = watched
                .connext
                .localAsset(asset.canonical_domain.get(), asset.canonical_id)
                .block(at)
                .call()
                .await
                .map_err(failed("localAsset"))?;
            // Not registered there: no liquidity can exist, so no series either.
            if local == Address::ZERO {
                continue;
            }
            let balance = watched
                .connext
                .routerBalance(self.router, local)
                .block(at)
                .call()
                .await
                .map_err(failed("routerBalance"))?;
            let as_float = balance.to_string().parse::<f64>().unwrap_or(f64::MAX);
            self.metrics.balance(domain, &asset.name, as_float);
        }
        Ok(())
    }
}

/// The head's state block, unless it is the one last `read_at`: nothing changed since. A tip
/// that cannot tell (never, for its head) is taken as changed, keyed by the head's hash.
fn changed_state(tip: &Tip, read_at: Option<&B256>) -> Option<B256> {
    let state = tip.state_block(tip.number()).unwrap_or(tip.head().hash);
    (read_at != Some(&state)).then_some(state)
}
