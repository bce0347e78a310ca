//! The devnet's routers: one process per router role (`router_a`, `router_b`), each following every
//! domain with a liquidity layer and bidding on the manifest's assets, its config generated from the
//! manifest (see `nxtp_router::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec,
};
use nxtp_deployment::Manifest;
use std::path::Path;

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
    if agent_toml::with_liquidity(manifest).is_empty() {
        return None;
    }
    let mut config = AgentToml::new(options);
    config
        .database(run_dir, role)
        .value("signer", signer)
        .string("sequencer_url", sequencer_url)
        .value("balance_interval_ms", 2000)
        .telemetry()
        .liquidity_domains(manifest)
        .router_assets(manifest, MAX_WHOLE_TOKENS.into());
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
