//! The devnet's sequencer: one process running the auctions of every domain, its config generated
//! from the manifest (see `nxtp_sequencer::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use nxtp_deployment::Manifest;
use std::{fmt::Write, net::SocketAddr, path::Path};

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
    let key = manifest.dev_keys.get("sequencer")?;
    let domains: Vec<_> = manifest
        .domains
        .iter()
        .filter_map(|(domain, deployment)| {
            deployment
                .liquidity
                .as_ref()
                .map(|liquidity| (domain, deployment, liquidity))
        })
        .collect();
    if domains.is_empty() {
        return None;
    }
    let database = run_dir.join(format!("{NAME}.sqlite"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(out, "signer = {{ hex = \"{key}\" }}");
    let _ = writeln!(out, "api_listen = \"{api_listen}\"");
    let _ = writeln!(
        out,
        "auction_window_ms = {}",
        options.auction_window.as_millis()
    );
    let _ = writeln!(out, "relayer_url = {}", agent_toml::string(relayer_url));
    let _ = writeln!(
        out,
        "\n[quotes]\ndefault_relayer_fee = \"{DEVNET_RELAYER_FEE_WEI}\""
    );
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (domain, deployment, liquidity) in domains {
        let _ = writeln!(out, "\n[domains.{domain}]");
        let _ = writeln!(out, "connext = \"{}\"", liquidity.connext);
        let _ = writeln!(out, "start_block = {}", deployment.deploy_block);
        agent_toml::chain_table(
            &mut out,
            &format!("domains.{domain}.chain"),
            deployment,
            options,
        );
    }
    Some(out)
}

/// The sequencer's agent spec, if the manifest carries its key and the liquidity layer.
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    api_listen: SocketAddr,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    config_toml(manifest, run_dir, api_listen, relayer_url, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "sequencer".to_owned(),
        config_toml,
    })
}
