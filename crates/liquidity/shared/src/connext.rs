//! One domain as a liquidity agent follows it: its chain, its `Connext`, and where reading starts.
//!
//! ```toml
//! [domains.1000]
//! connext = "0x..."
//! start_block = 1          # optional: the first block holding the Connext
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! ```

use alloy::{
    primitives::{Address, B256},
    providers::DynProvider,
    rpc::types::Filter,
};
use nxtp_agent::{Cursor, Store};
use nxtp_chain::{ChainConfig, ChainMetrics, DomainSettings, Domains, Indexer, StartError};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A `[domains.<id>]` table of the router, the sequencer or the executor.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnextDomain {
    /// How to reach the chain; `confirmations` is the depth at which its events count.
    pub chain: ChainConfig,
    /// The domain's `Connext`.
    #[serde(with = "nxtp_primitives::checked")]
    pub connext: Address,
    /// The first block holding the `Connext`: where reading starts.
    #[serde(default)]
    pub start_block: u64,
}

/// A configured domain, connected to.
pub struct ConnectedDomain {
    /// The domain's table.
    pub config: ConnextDomain,
    /// Its chain, its chain id checked.
    pub provider: DynProvider,
}

/// Connects to every domain of `domains` ([`nxtp_chain::connect_all`]), each beside its table.
pub async fn connect_all(
    domains: &Domains<ConnextDomain>,
) -> Result<BTreeMap<Domain, ConnectedDomain>, StartError> {
    let mut providers = nxtp_chain::connect_all(domains).await?;
    Ok(domains
        .iter()
        .filter_map(|(&domain, config)| {
            let provider = providers.remove(&domain)?;
            let config = config.clone();
            Some((domain, ConnectedDomain { config, provider }))
        })
        .collect())
}

impl DomainSettings for ConnextDomain {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }
}

impl ConnextDomain {
    /// The indexer of `events` (topics) of this domain's `Connext`, under the agent's cursor
    /// `stream`, from `start_block` at the chain's confirmations and poll interval.
    pub fn indexer(
        &self,
        domain: Domain,
        stream: &'static str,
        events: Vec<B256>,
        store: &Store,
        provider: DynProvider,
        metrics: &ChainMetrics,
    ) -> Indexer {
        let filter = Filter::new().address(self.connext).event_signature(events);
        Indexer::new(
            store.clone(),
            Cursor::new(domain, stream),
            provider,
            filter,
            self.chain.confirmations,
        )
        .start_block(self.start_block)
        .poll_interval(self.chain.poll_interval())
        .metrics(metrics.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table_with_its_defaults_and_refuses_unknown_keys() {
        let table = r#"
            connext = "0x0000000000000000000000000000000000000001"
            [chain]
            rpc_url = "http://127.0.0.1:8545"
            chain_id = 31337
            confirmations = 2
        "#;
        let domain: ConnextDomain = toml::from_str(table).expect("valid");
        assert_eq!(domain.connext, Address::with_last_byte(1));
        assert_eq!(domain.start_block, 0);
        assert_eq!(domain.chain().confirmations, 2);
        let unknown = format!("typo = 1\n{table}");
        assert!(toml::from_str::<ConnextDomain>(&unknown).is_err());
    }
}
