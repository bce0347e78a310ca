//! The devnet's sequencer: one process running the auctions of every domain, its config generated
//! from the manifest (see `nxtp_sequencer::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role,
};
use nxtp_deployment::Manifest;
use std::{net::SocketAddr, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "sequencer";

/// The native relayer fee the devnet's sequencer quotes for every destination: 0.001 ETH.
pub const DEVNET_RELAYER_FEE_WEI: u64 = 1_000_000_000_000_000;

/// The sequencer's config for the devnet in `manifest`: its database in `run_dir`, its bids API on
/// `api_listen`, execute jobs posted to the relayer at `relayer_url`, auctions deciding the
/// `auction_window` of `options` after their first valid bid, every chain read at the depth and
/// finality of `options`. `None` when the manifest
/// carries no development key for the sequencer or no domain has the liquidity layer.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    api_listen: SocketAddr,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::Sequencer)?;
    if agent_toml::with_liquidity(manifest).is_empty() {
        return None;
    }
    let config = AgentToml::new(options)
        .database(run_dir, NAME)
        .value("signer", signer)
        .quoted("api_listen", api_listen)
        .value("auction_window_ms", options.auction_window.as_millis())
        .string("relayer_url", relayer_url)
        .table("quotes")
        .quoted("default_relayer_fee", DEVNET_RELAYER_FEE_WEI)
        .telemetry()
        .liquidity_domains(manifest)
        .finish();
    Some(config)
}

/// The sequencer's agent spec, if the manifest carries its key and the liquidity layer.
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    api_listen: SocketAddr,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    agent_toml::spec(
        NAME,
        "sequencer",
        config_toml(manifest, run_dir, api_listen, relayer_url, options),
    )
}
