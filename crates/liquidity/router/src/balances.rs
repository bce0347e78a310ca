//! Reads the router's liquidity on every domain, for every configured asset, and exports it as
//! gauges. Purely for operators: bids read the balance afresh.

use crate::{error::contract_error, metrics::RouterMetrics};
use alloy::{primitives::Address, providers::DynProvider};
use nxtp_agent::{CancellationToken, Health};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, time::Duration};

/// The health stream of the balance readings.
const STREAM: &str = "balances";

/// One configured asset: its name and canonical identity.
#[derive(Clone, Debug)]
pub(crate) struct TrackedAsset {
    pub(crate) name: String,
    pub(crate) canonical_domain: Domain,
    pub(crate) canonical_id: alloy::primitives::B256,
}

/// The task reading balances.
pub(crate) struct BalanceTask {
    pub(crate) router: Address,
    pub(crate) connexts: BTreeMap<Domain, Connext::ConnextInstance<DynProvider>>,
    pub(crate) assets: Vec<TrackedAsset>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) health: Health,
    pub(crate) interval: Duration,
}

impl BalanceTask {
    /// Reads every `interval` until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), crate::RouterError> {
        loop {
            match self.read_all().await {
                Ok(()) => self.health.ok(STREAM),
                Err(reason) => {
                    tracing::warn!(error = %reason, "cannot read the router's balances");
                    self.health.failing(STREAM, reason);
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    async fn read_all(&self) -> Result<(), String> {
        for (&domain, connext) in &self.connexts {
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
                let local = connext
                    .localAsset(asset.canonical_domain.get(), asset.canonical_id)
                    .call()
                    .await
                    .map_err(failed("localAsset"))?;
                // Not registered there: no liquidity can exist, so no series either.
                if local == Address::ZERO {
                    continue;
                }
                let balance = connext
                    .routerBalance(self.router, local)
                    .call()
                    .await
                    .map_err(failed("routerBalance"))?;
                let as_float = balance.to_string().parse::<f64>().unwrap_or(f64::MAX);
                self.metrics.balance(domain, &asset.name, as_float);
            }
        }
        Ok(())
    }
}
