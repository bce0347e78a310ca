//! The devnet's routers: one process per router role (`router_a`, `router_b`), each following every
//! domain with a liquidity layer and bidding on the manifest's assets, its config generated from the
//! manifest (see `nxtp_router::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use alloy::primitives::U256;
use nxtp_deployment::Manifest;
use std::{collections::BTreeMap, fmt::Write, path::Path};

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
    let key = manifest.dev_keys.get(role)?;
    let with_liquidity: Vec<_> = manifest
        .domains
        .iter()
        .filter_map(|(domain, deployment)| {
            Some((domain, deployment, deployment.liquidity.as_ref()?))
        })
        .collect();
    if with_liquidity.is_empty() {
        return None;
    }
    let database = run_dir.join(format!("{role}.sqlite"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(out, "signer = {{ hex = \"{key}\" }}");
    let _ = writeln!(out, "sequencer_url = {}", agent_toml::string(sequencer_url));
    let _ = writeln!(out, "balance_interval_ms = 2000");
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    let mut assets = BTreeMap::new();
    for (domain, deployment, liquidity) in &with_liquidity {
        let _ = writeln!(out, "\n[domains.{domain}]");
        let _ = writeln!(out, "connext = \"{}\"", liquidity.connext);
        let _ = writeln!(out, "start_block = {}", deployment.deploy_block);
        agent_toml::chain_table(
            &mut out,
            &format!("domains.{domain}.chain"),
            deployment,
            options,
        );
        for (symbol, asset) in &liquidity.assets {
            assets.entry(symbol.to_lowercase()).or_insert(asset);
        }
    }
    for (name, asset) in assets {
        let max = U256::from(MAX_WHOLE_TOKENS) * U256::from(10u64).pow(U256::from(asset.decimals));
        let _ = writeln!(out, "\n[assets.{name}]");
        let _ = writeln!(out, "canonical_domain = {}", asset.canonical_domain);
        let _ = writeln!(out, "canonical_id = \"{}\"", asset.canonical_id);
        let _ = writeln!(out, "max_amount = \"{max}\"");
    }
    Some(out)
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
    config_toml(manifest, run_dir, role, sequencer_url, options).map(|config_toml| AgentSpec {
        name: role.to_owned(),
        subcommand: "router-agent".to_owned(),
        config_toml,
    })
}
