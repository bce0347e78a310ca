//! `nxtp deploy --config <file>`: deploys and wires both layers onto the chains a TOML file names, resumably
//! (a journal next to the manifest), checks what is on chain and writes the manifest.
//!
//! ```toml
//! manifest = "deployment/manifest.json"   # the journal is written next to it: manifest.json.journal
//! deployer = { keystore = { path = "keys/deployer.json", password_env = "DEPLOYER_PASSWORD" } }
//! optimistic_seconds = 1800               # optional: the fraud window (default 30 minutes)
//! min_optimistic_seconds = 1800           # optional: its floor, fixed at deployment (default: the window)
//! updater_bond = "1000000000000000000"    # optional: wei (default 1 ether), deposited by the deployer
//! receipt_timeout_secs = 300              # optional: how long one transaction may take to be mined
//!
//! [roles]
//! updater = "0x..."
//! watchers = ["0x..."]
//! sequencers = ["0x..."]
//! sequencer_threshold = 1                 # optional: sequencers that must sign a fast-path selection (default 1)
//! relayers = ["0x..."]
//! routers = ["0x..."]                     # optional: routers can be set up later
//! relayer_fee_vault = "0x..."
//! owner = "0x..."                         # optional: proposed owner of every contract (it accepts)
//!
//! [services]                              # optional: recorded in the manifest for `nxtp init`
//! sequencer_url = "http://sequencer.example:8080"
//! relayer_url = "http://relayer.example:8081"
//!
//! [[chains]]
//! domain = 1000
//! chain_id = 1
//! rpc_url = "https://..."
//!
//! [[assets]]
//! symbol = "USDC"
//! home = 1000
//! token = "0x..."                         # the canonical token, or "demo" to deploy a DemoToken
//! name = "USD Coin"                       # the representations' name
//! decimals = 6
//! cap = "1000000000000"                   # optional: the home Connext's cap (default: none, 2^128 - 1)
//! ```

use alloy::primitives::{Address, U256};
use clap::Args;
use nxtp_agent::KeySource;
use nxtp_deployment::{
    resumable::{self, ChainPlan, Journal, Plan, PRODUCTION_OPTIMISTIC_SECONDS},
    AssetPlan, CanonicalToken, Manifest, Services,
};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{
    error::Error,
    path::{Path, PathBuf},
    time::Duration,
};

/// Options of `nxtp deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The deployment's TOML config (chains, roles, assets, the deployer's key source).
    #[arg(long)]
    config: PathBuf,
    /// Only check the chains and the deployer's funds; send nothing.
    #[arg(long)]
    preflight_only: bool,
}

/// The deployment's config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployFile {
    /// Where the manifest is written; the journal is `<manifest>.journal`.
    pub manifest: PathBuf,
    /// The deployer's key.
    pub deployer: KeySource,
    /// The fraud window.
    #[serde(default = "production_window")]
    pub optimistic_seconds: u32,
    /// Its floor; the window by default.
    #[serde(default)]
    pub min_optimistic_seconds: Option<u32>,
    /// The updater's bond, in wei.
    #[serde(default = "one_ether", deserialize_with = "nxtp_agent::config::wei")]
    pub updater_bond: U256,
    /// How long one transaction may take to be mined.
    #[serde(default = "default_receipt_timeout")]
    pub receipt_timeout_secs: u64,
    /// Who the contracts name.
    pub roles: Roles,
    /// The off-chain services' URLs, recorded in the manifest.
    #[serde(default)]
    pub services: Option<ServicesFile>,
    /// The chains.
    pub chains: Vec<ChainFile>,
    /// The assets.
    #[serde(default)]
    pub assets: Vec<AssetFile>,
}

/// `[roles]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// The updater.
    #[serde(with = "nxtp_primitives::checked")]
    pub updater: Address,
    /// The watchers.
    #[serde(default, with = "nxtp_primitives::checked::vec")]
    pub watchers: Vec<Address>,
    /// The sequencers.
    #[serde(default, with = "nxtp_primitives::checked::vec")]
    pub sequencers: Vec<Address>,
    /// How many of them must sign a fast-path selection (1 to their number).
    #[serde(default = "default_sequencer_threshold")]
    pub sequencer_threshold: u32,
    /// The relayers.
    #[serde(default, with = "nxtp_primitives::checked::vec")]
    pub relayers: Vec<Address>,
    /// The routers.
    #[serde(default, with = "nxtp_primitives::checked::vec")]
    pub routers: Vec<Address>,
    /// Where relayer fees go.
    #[serde(with = "nxtp_primitives::checked")]
    pub relayer_fee_vault: Address,
    /// The owner proposed for every contract.
    #[serde(default, with = "nxtp_primitives::checked::option")]
    pub owner: Option<Address>,
}

/// `[services]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesFile {
    /// The sequencer's API.
    pub sequencer_url: String,
    /// The relayer's API.
    pub relayer_url: String,
    /// The indexer's status API, if one runs (`nxtp status` reads it first).
    #[serde(default)]
    pub indexer_url: Option<String>,
}

/// One `[[chains]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainFile {
    /// The domain it plays.
    pub domain: Domain,
    /// The chain id its RPC must report.
    pub chain_id: u64,
    /// Its RPC.
    pub rpc_url: String,
}

/// One `[[assets]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetFile {
    /// Its symbol.
    pub symbol: String,
    /// Its home domain.
    pub home: Domain,
    /// The canonical token's address, or `demo`.
    pub token: String,
    /// The representations' name.
    pub name: String,
    /// Its decimals.
    pub decimals: u8,
    /// The home Connext's cap.
    #[serde(default = "no_cap", deserialize_with = "nxtp_agent::config::wei")]
    pub cap: U256,
}

fn default_sequencer_threshold() -> u32 {
    resumable::DEFAULT_SEQUENCER_THRESHOLD
}

fn production_window() -> u32 {
    PRODUCTION_OPTIMISTIC_SECONDS
}

fn one_ether() -> U256 {
    U256::from(10u64).pow(U256::from(18u64))
}

fn default_receipt_timeout() -> u64 {
    300
}

/// `type(uint128).max`: the contracts' "no limit".
fn no_cap() -> U256 {
    U256::from(u128::MAX)
}

/// Why `nxtp deploy` refused its config.
#[derive(Debug, thiserror::Error)]
pub enum DeployConfigError {
    /// The file could not be read or does not fit (the message names the TOML path).
    #[error(transparent)]
    Config(#[from] nxtp_agent::ConfigError),
    /// A value that parsed but does not make sense (its TOML path first).
    #[error("{path}: {why} (config {file})")]
    Invalid {
        /// The TOML path of the value.
        path: String,
        /// What is wrong.
        why: String,
        /// The config file.
        file: String,
    },
}

impl DeployFile {
    /// Reads `path` (environment overrides apply, as for agents).
    pub fn load(path: &Path) -> Result<Self, DeployConfigError> {
        Ok(nxtp_agent::config::load(path)?)
    }

    /// The deployment plan this file describes.
    pub fn plan(&self, file: &Path) -> Result<Plan, DeployConfigError> {
        let invalid = |path: String, why: String| DeployConfigError::Invalid {
            path,
            why,
            file: file.display().to_string(),
        };
        let min_optimistic_seconds = self
            .min_optimistic_seconds
            .unwrap_or(self.optimistic_seconds);
        if min_optimistic_seconds > self.optimistic_seconds {
            return Err(invalid(
                "min_optimistic_seconds".into(),
                format!("above optimistic_seconds ({})", self.optimistic_seconds),
            ));
        }
        resumable::check_sequencer_quorum(&self.roles.sequencers, self.roles.sequencer_threshold)
            .map_err(|err| invalid("roles.sequencer_threshold".into(), err.to_string()))?;
        let assets = self
            .assets
            .iter()
            .enumerate()
            .map(|(index, asset)| {
                let canonical = if asset.token == "demo" {
                    CanonicalToken::DeployDemoToken
                } else {
                    CanonicalToken::Existing(
                        nxtp_primitives::parse_checked_address(&asset.token).map_err(|err| {
                            invalid(format!("assets[{index}].token"), err.to_string())
                        })?,
                    )
                };
                if !self.chains.iter().any(|chain| chain.domain == asset.home) {
                    return Err(invalid(
                        format!("assets[{index}].home"),
                        format!("domain {} is not one of the chains", asset.home),
                    ));
                }
                Ok(AssetPlan {
                    symbol: asset.symbol.clone(),
                    name: asset.name.clone(),
                    decimals: asset.decimals,
                    home: asset.home,
                    canonical,
                    cap: asset.cap,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            chains: self
                .chains
                .iter()
                .map(|chain| ChainPlan {
                    domain: chain.domain,
                    rpc_url: chain.rpc_url.clone(),
                    chain_id: chain.chain_id,
                })
                .collect(),
            optimistic_seconds: self.optimistic_seconds,
            min_optimistic_seconds,
            required_bond: self.updater_bond,
            updater: self.roles.updater,
            watchers: self.roles.watchers.clone(),
            sequencers: self.roles.sequencers.clone(),
            sequencer_threshold: self.roles.sequencer_threshold,
            relayers: self.roles.relayers.clone(),
            routers: self.roles.routers.clone(),
            relayer_fee_vault: self.roles.relayer_fee_vault,
            owner: self.roles.owner,
            assets,
            receipt_timeout: Duration::from_secs(self.receipt_timeout_secs),
        })
    }
}

/// The journal's path for the manifest at `manifest`.
pub fn journal_path(manifest: &Path) -> PathBuf {
    let mut name = manifest.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// Runs `nxtp deploy`.
pub async fn run(args: DeployArgs) -> Result<(), Box<dyn Error + Send + Sync>> {
    let file = DeployFile::load(&args.config)?;
    let plan = file.plan(&args.config)?;
    // The key is loaded, never shown: errors and logs name only its source.
    let deployer = file.deployer.load()?;
    if let Some(parent) = file.manifest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let journal = Journal::open(&journal_path(&file.manifest))?;
    if args.preflight_only {
        resumable::preflight(&plan, &deployer, &journal).await?;
        println!("preflight passed: every chain reachable, chain ids as configured, funds enough");
        return Ok(());
    }
    println!(
        "deploying to {} chains as {} (journal {})",
        plan.chains.len(),
        deployer.address(),
        journal.path().display()
    );
    let mut manifest: Manifest = resumable::deploy(&plan, &deployer, &journal).await?;
    resumable::verify(&plan, &manifest, &journal).await?;
    manifest.services = file.services.as_ref().map(|services| Services {
        sequencer_url: services.sequencer_url.clone(),
        relayer_url: services.relayer_url.clone(),
        indexer_url: services.indexer_url.clone(),
    });
    manifest.save(&file.manifest)?;
    println!(
        "deployed and checked on chain: manifest {}",
        file.manifest.display()
    );
    for (domain, deployment) in &manifest.domains {
        let connext = deployment
            .liquidity
            .as_ref()
            .map(|liquidity| liquidity.connext.to_string())
            .unwrap_or_default();
        println!(
            "  domain {domain} (chain {}): Home {} Connext {connext}",
            deployment.chain_id, deployment.home
        );
    }
    Ok(())
}
