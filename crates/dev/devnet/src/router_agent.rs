//! The devnet's routers: one process per router role (`router_a`, `router_b`), each following every
//! domain with a liquidity layer and bidding on the manifest's assets, its config generated from the
//! manifest (see `nxtp_router::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec,
};
use alloy::primitives::U256;
use nxtp_deployment::Manifest;
use std::{collections::BTreeMap, path::Path};

/// The largest transfer a devnet router bids on, in whole tokens of the asset.
pub const MAX_WHOLE_TOKENS: u32 = 100_000;

/// The config of the router whose development key is `role` (e.g. `router_a`), for the devnet in
/// `manifest` and the sequencer at `sequencer_url`, its database in `run_dir`, every chain read at the
/// depth and finality of `options`; `None` when the
/// manifest has no key for `role` or no liquidity layer. Assets are named by their lowercased
/// symbol, so environment overrides (`NXTP__ASSETS__DEMO__MAX_AMOUNT`) can reach them.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    role: &str,
    sequencer_url: &str,
    options: &AgentOptions,
) -> Option<String> {
    let signer = agent_toml::dev_key(manifest, role)?;
    let with_liquidity = agent_toml::with_liquidity(manifest);
    if with_liquidity.is_empty() {
        return None;
    }
    let mut config = AgentToml::new(options);
    config
        .database(run_dir, role)
        .value("signer", signer)
        .string("sequencer_url", sequencer_url)
        .value("balance_interval_ms", 2000)
        .telemetry()
        .liquidity_domains(manifest);
    let mut assets = BTreeMap::new();
    for (_, _, liquidity) in &with_liquidity {
        for (symbol, asset) in &liquidity.assets {
            assets.entry(symbol.to_lowercase()).or_insert(asset);
        }
    }
    for (name, asset) in assets {
        let max = U256::from(MAX_WHOLE_TOKENS) * U256::from(10u64).pow(U256::from(asset.decimals));
        config
            .table(format!("assets.{name}"))
            .value("canonical_domain", asset.canonical_domain)
            .quoted("canonical_id", asset.canonical_id)
            .quoted("max_amount", max);
    }
    Some(config.finish())
}

/// The agent spec of the router whose development key is `role`, if the manifest allows one (see
/// [`config_toml`]); the agent's name is the role.
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    role: &str,
    sequencer_url: &str,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    agent_toml::spec(
        role,
        "router-agent",
        config_toml(manifest, run_dir, role, sequencer_url, options),
    )
}
