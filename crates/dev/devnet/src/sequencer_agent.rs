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

/// What one whole token of each of the devnet's assets is worth as a relayer fee, for its sequencer
/// and executor: 0.0004 ETH (a fixed demo rate), so 2.5 DEMO pay [`DEVNET_RELAYER_FEE_WEI`].
pub const DEVNET_FEE_ASSET_WEI_PER_TOKEN: u64 = 400_000_000_000_000;

/// Writes a `[[relayer_fee_assets]]` entry for every asset of every domain of `manifest` with the
/// liquidity layer (its local token there), at [`DEVNET_FEE_ASSET_WEI_PER_TOKEN`]: the devnet's
/// agents accept relayer fees paid in the bridged asset.
pub fn relayer_fee_assets(config: &mut AgentToml, manifest: &Manifest) {
    for (domain, _, liquidity) in agent_toml::with_liquidity(manifest) {
        for asset in liquidity.assets.values() {
            config
                .line("")
                .line("[[relayer_fee_assets]]")
                .value("domain", domain)
                .quoted("asset", asset.local)
                .quoted("native_wei_per_token", DEVNET_FEE_ASSET_WEI_PER_TOKEN);
        }
    }
}

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
    let mut config = AgentToml::new(options);
    config
        .database(run_dir, NAME)
        .value("signer", signer)
        .quoted("api_listen", api_listen)
        .value("auction_window_ms", options.auction_window.as_millis())
        .string("relayer_url", relayer_url)
        .table("quotes")
        .quoted("default_relayer_fee", DEVNET_RELAYER_FEE_WEI);
    relayer_fee_assets(&mut config, manifest);
    Some(config.telemetry().liquidity_domains(manifest).finish())
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
