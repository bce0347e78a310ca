//! The devnet's slow-path executor: one process following every domain with a liquidity layer and
//! posting the execute of every transfer reconciled with no routers to the relayer, its config
//! generated from the manifest (see `nxtp_executor::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    sequencer_agent, AgentOptions, AgentSpec,
};
use nxtp_deployment::Manifest;
use std::path::Path;

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "executor";

/// The executor's config for the devnet in `manifest` and the relayer at `relayer_url`, its
/// database in `run_dir`, every chain read at the depth and finality of `options`; `None` when fewer
/// than two domains have a liquidity layer (no transfer could then need it). Retries are quick:
/// devnet blocks are. Fees paid in the devnet's assets count, as for its sequencer
/// ([`sequencer_agent::relayer_fee_assets`]).
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<String> {
    if agent_toml::with_liquidity(manifest).len() < 2 {
        return None;
    }
    let mut config = AgentToml::new(options);
    config
        .database(run_dir, NAME)
        .string("relayer_url", relayer_url)
        .value("retry_base_ms", 1000)
        .value("retry_max_ms", 30000);
    // The same fee assets as the sequencer, at the same rate.
    sequencer_agent::relayer_fee_assets(&mut config, manifest);
    Some(config.telemetry().liquidity_domains(manifest).finish())
}

/// The executor's agent spec, if the manifest allows one (see [`config_toml`]).
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    agent_toml::spec(
        NAME,
        "executor",
        config_toml(manifest, run_dir, relayer_url, options),
    )
}
