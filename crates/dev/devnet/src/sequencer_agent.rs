//! The devnet's sequencer: one process running the auctions of every domain, or (`--sequencers N`)
//! a network of N sequencer nodes deciding them together on consensus, each its own process; its
//! configs generated from the manifest (see `nxtp_sequencer::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role,
};
use alloy::{
    primitives::{Bytes, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_deployment::Manifest;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

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
    let mut config = sequencer_toml(
        manifest,
        (run_dir, NAME),
        Some(&signer),
        api_listen,
        relayer_url,
        options,
    );
    Some(config.telemetry().liquidity_domains(manifest).finish())
}

/// What every devnet sequencer's config starts with: its database `<run_dir>/<stem>.sqlite`, its
/// `signer` if it has one, its API, relayer, quotes and accepted fee assets; the caller adds its
/// own tables, then the telemetry and domains.
fn sequencer_toml(
    manifest: &Manifest,
    (run_dir, stem): (&Path, &str),
    signer: Option<&str>,
    api_listen: SocketAddr,
    relayer_url: &str,
    options: &AgentOptions,
) -> AgentToml {
    let mut config = AgentToml::new(options);
    config.database(run_dir, stem);
    if let Some(signer) = signer {
        config.value("signer", signer);
    }
    config
        .quoted("api_listen", api_listen)
        .value("auction_window_ms", options.auction_window.as_millis())
        .string("relayer_url", relayer_url)
        .table("quotes")
        .quoted("default_relayer_fee", DEVNET_RELAYER_FEE_WEI);
    relayer_fee_assets(&mut config, manifest);
    config
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

/// The most sequencer nodes the devnet runs: the first signs with the `sequencer` key, the others
/// with anvil's development accounts after the roles' (11 to 15).
pub const MAX_SEQUENCERS: usize = 6;

/// How long a devnet node with nothing to propose waits for a bid: short, since a bid posted to
/// one node is decided when that node proposes, and proposers rotate once per height.
pub const DEVNET_IDLE_WAIT_MS: u64 = 200;

/// The devnet's round timeouts: a node that is down costs its turn this long.
pub const DEVNET_PROPOSE_TIMEOUT_MS: u64 = 1_000;
/// The devnet's prevote and precommit timeouts.
pub const DEVNET_VOTE_TIMEOUT_MS: u64 = 500;
/// How long a devnet node waits before handing over a decision another node proposed: a few
/// blocks, by which the proposer's execute is usually mined and seen.
pub const DEVNET_BACKUP_HANDOVER_MS: u64 = 4_000;

/// The devnet nodes' log filter: Malachite logs every vote and peer table at `info`, several
/// lines per height even when idle; its warnings and the node's own lines stay.
pub const NODE_LOG_FILTER: &str = "info,arc_malachitebft=warn,libp2p=warn";

/// One node of the devnet's sequencer network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerNode {
    /// Its bids API (routers and users reach it here).
    pub api: SocketAddr,
    /// Where its consensus listens.
    pub consensus: SocketAddr,
}

/// The devnet's sequencer network, filled by the devnet once its ports and keys are chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusLayout {
    /// The nodes, in order: node 0 serves the manifest's `sequencer_url`.
    pub nodes: Vec<SequencerNode>,
    /// Sequencer signatures per execute: the `Connext`s' `sequencerThreshold`.
    pub threshold: u32,
    /// Each router's liquidity on every domain at genesis.
    pub router_liquidity: U256,
}

/// The agent name of node `index`: `sequencer` for the first (the single sequencer's name), then
/// `sequencer-1`, `sequencer-2`, ...
pub fn node_name(index: usize) -> String {
    if index == 0 {
        NAME.to_owned()
    } else {
        format!("{NAME}-{index}")
    }
}

/// Node `index`'s consensus home in `run_dir`: `<name>.consensus/`, its write-ahead log and its
/// store of decided heights (`consensus.sqlite`).
pub fn node_home(run_dir: &Path, index: usize) -> PathBuf {
    run_dir.join(format!("{}.consensus", node_name(index)))
}

/// The manifest's `dev_keys` name of node `index`'s key: `sequencer`, then `sequencer_1`, ...
pub fn node_key_name(index: usize) -> String {
    if index == 0 {
        Role::Sequencer.name().to_owned()
    } else {
        format!("{}_{index}", Role::Sequencer.name())
    }
}

/// The threshold of a network of `nodes`: the signatures a decision is sure to gather (more than
/// two thirds of the nodes: 3 of 4).
pub fn threshold(nodes: usize) -> u32 {
    u32::try_from(nodes * 2 / 3 + 1).unwrap_or(u32::MAX)
}

/// The key of node `index` in `manifest`.
fn node_signer(manifest: &Manifest, index: usize) -> Option<PrivateKeySigner> {
    let key = manifest.dev_keys.get(&node_key_name(index))?;
    PrivateKeySigner::from_bytes(key).ok()
}

/// `validators = [...]`: every node's address and public key.
fn validators(manifest: &Manifest, layout: &ConsensusLayout) -> Option<String> {
    let mut entries = Vec::new();
    for index in 0..layout.nodes.len() {
        let signer = node_signer(manifest, index)?;
        let point = signer.credential().verifying_key().to_encoded_point(true);
        entries.push(format!(
            "{{ address = \"{}\", public_key = \"{}\" }}",
            signer.address(),
            Bytes::copy_from_slice(point.as_bytes())
        ));
    }
    Some(format!("[{}]", entries.join(", ")))
}

/// The config of node `index` of the sequencer network of `options` (its `consensus` layout), for
/// the devnet in `manifest`: as [`config_toml`]'s, with a `[consensus]` section instead of a
/// `signer`; its write-ahead log and decided heights under `<run_dir>/<name>.consensus/`, every
/// router starting with the layout's liquidity in every pool. `None` without a layout, the node's
/// key in the manifest or the liquidity layer.
pub fn node_config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    index: usize,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<String> {
    let layout = options.consensus.as_ref()?;
    let node = layout.nodes.get(index)?;
    let key = agent_toml::dev_key(manifest, &node_key_name(index))?;
    let validators = validators(manifest, layout)?;
    let liquidity = agent_toml::with_liquidity(manifest);
    if liquidity.is_empty() {
        return None;
    }
    let name = node_name(index);
    let others: Vec<_> = layout
        .nodes
        .iter()
        .enumerate()
        .filter(|(other, _)| *other != index)
        .map(|(_, peer)| peer)
        .collect();
    let peers: Vec<String> = others
        .iter()
        .map(|peer| format!("\"{}\"", peer.consensus))
        .collect();
    // Every bid a router posts here goes on to the other nodes' bids APIs.
    let forward_to: Vec<String> = others
        .iter()
        .map(|peer| format!("\"http://{}\"", peer.api))
        .collect();
    let mut config = sequencer_toml(
        manifest,
        (run_dir, &name),
        None,
        node.api,
        relayer_url,
        options,
    );
    config
        .table("consensus")
        .value("key", key)
        .quoted("listen", node.consensus)
        .value("peers", format!("[{}]", peers.join(", ")))
        .path("home", &node_home(run_dir, index))
        .value("threshold", layout.threshold)
        .value("idle_wait_ms", DEVNET_IDLE_WAIT_MS)
        .value("propose_timeout_ms", DEVNET_PROPOSE_TIMEOUT_MS)
        .value("vote_timeout_ms", DEVNET_VOTE_TIMEOUT_MS)
        .value("backup_handover_ms", DEVNET_BACKUP_HANDOVER_MS)
        .value("forward_bids_to", format!("[{}]", forward_to.join(", ")))
        .value("validators", validators);
    for (domain, _, deployment) in &liquidity {
        for asset in deployment.assets.values() {
            for role in crate::liquidity::ROUTERS {
                let router = role_address(manifest, role)?;
                config
                    .line("")
                    .line("[[consensus.liquidity]]")
                    .value("domain", domain)
                    .value("canonical_domain", asset.canonical_domain)
                    .quoted("canonical_id", asset.canonical_id)
                    .quoted("router", router)
                    .quoted("amount", layout.router_liquidity);
            }
        }
    }
    Some(
        config
            .telemetry()
            .string("log_filter", NODE_LOG_FILTER)
            .liquidity_domains(manifest)
            .finish(),
    )
}

/// The address of the devnet's `role` in `manifest`.
fn role_address(manifest: &Manifest, role: Role) -> Option<alloy::primitives::Address> {
    let key = manifest.dev_keys.get(role.name())?;
    Some(PrivateKeySigner::from_bytes(key).ok()?.address())
}

/// The agent specs of the sequencer: the single sequencer, or each node of the network of
/// `options.consensus`.
pub fn specs(
    manifest: &Manifest,
    run_dir: &Path,
    api_listen: SocketAddr,
    relayer_url: &str,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    let Some(layout) = &options.consensus else {
        return spec(manifest, run_dir, api_listen, relayer_url, options)
            .into_iter()
            .collect();
    };
    (0..layout.nodes.len())
        .filter_map(|index| {
            agent_toml::spec(
                &node_name(index),
                "sequencer",
                node_config_toml(manifest, run_dir, index, relayer_url, options),
            )
        })
        .collect()
}

/// The bids API a router posts to: with a sequencer network, router `index` posts to node
/// `index` modulo their number (a bid reaching one node is decided when that node proposes);
/// otherwise the single sequencer's `sequencer_url`.
pub fn router_sequencer_url(options: &AgentOptions, index: usize, sequencer_url: &str) -> String {
    match &options.consensus {
        Some(layout) if !layout.nodes.is_empty() => {
            format!("http://{}", layout.nodes[index % layout.nodes.len()].api)
        }
        _ => sequencer_url.to_owned(),
    }
}
