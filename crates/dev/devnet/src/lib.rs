//! The local devnet: several anvil chains, every messaging contract deployed and wired across them, a
//! deployment manifest that agents and tests read, and each agent run as its own supervised process.
//!
//! [`Devnet::start`] does it all; the pieces are public so tests can use them alone: [`Chains`] starts
//! the anvils, [`deploy`] deploys the messaging layer onto any set of endpoints, [`deploy_liquidity`] the
//! liquidity layer over it, [`Supervisor`] runs agent processes.

pub mod accounts;
mod agent_toml;
pub mod chains;
pub mod deploy;
pub mod executes;
pub mod executor_agent;
pub mod indexer_agent;
pub mod liquidity;
pub mod message_relayer_agent;
pub mod ports;
mod process;
pub mod processor_agent;
pub mod relayer_agent;
pub mod router_agent;
pub mod run_dir;
pub mod sequencer_agent;
mod services;
pub mod summary;
pub mod supervisor;
pub mod traffic;
pub mod updater_agent;
pub mod watcher_agent;

pub use accounts::{AccountsError, DevAccounts, Role};
pub use chains::{Chain, ChainError, Chains, ChainsConfig};
pub use deploy::{deploy, DeployConfig, DeployError, Endpoint, RECORDING_RECIPIENT};
pub use liquidity::{bridge_liquidity, deploy_liquidity, LiquidityConfig};
/// The finality assumption of [`AgentOptions::finality`], re-exported for the devnet's callers.
pub use nxtp_chain::Finality;
pub use ports::{PortBook, Ports, PortsError};
pub use run_dir::{RunDir, RunDirError};
pub use supervisor::{AgentFiles, AgentSpec, AgentStatus, Supervisor, SupervisorConfig};

use nxtp_deployment::{Manifest, ManifestError};
use nxtp_primitives::Domain;
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

/// The manifest's file name in the run folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The pinned anvil: under `root` if given; else under the repository this crate was built from, if it
/// is still there; else under the nearest ancestor of the current directory that has one. When none
/// exists, the path where it was expected (so the error can say where to look).
pub fn locate_anvil(root: Option<&Path>) -> PathBuf {
    if let Some(root) = root {
        return nxtp_toolchain::anvil_in(root);
    }
    let mut candidates = vec![nxtp_toolchain::anvil_in(&nxtp_toolchain::build_root())];
    if let Ok(cwd) = std::env::current_dir() {
        candidates.extend(cwd.ancestors().map(nxtp_toolchain::anvil_in));
    }
    candidates
        .iter()
        .find(|path| path.is_file())
        .unwrap_or(&candidates[0])
        .clone()
}

/// The agents the devnet runs, as generated from the manifest, the run folder and the options.
pub type AgentList = fn(&Manifest, &Path, &AgentOptions) -> Vec<AgentSpec>;

/// The confirmation depth of the devnet's agents unless [`AgentOptions`] says otherwise: one block on top.
pub const DEFAULT_CONFIRMATIONS: u64 = 1;

/// Settings of the devnet's agents that are not in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentOptions {
    /// How long the sequencer's auctions wait after their first valid bid.
    pub auction_window: Duration,
    /// Every agent's confirmation depth on every chain (`confirmations` of `nxtp_chain::ChainConfig`): how
    /// many blocks must be built on a block before the agent acts on it. A reorg no deeper than this is never
    /// seen by the agents' indexers.
    pub confirmations: u64,
    /// Every agent's finality assumption on every chain (`finality` of `nxtp_chain::ChainConfig`): what the
    /// updater waits for before it signs a root.
    pub finality: Finality,
    /// How many sequencers: 1 runs the single sequencer; more (up to
    /// [`sequencer_agent::MAX_SEQUENCERS`]) run a network of that many nodes deciding together, every one
    /// approved on every `Connext`, whose `sequencerThreshold` is their quorum (3 of 4).
    pub sequencers: usize,
    /// The sequencer network's ports and threshold: filled by [`Devnet::start`] when `sequencers` is above 1.
    pub consensus: Option<sequencer_agent::ConsensusLayout>,
}

impl Default for AgentOptions {
    /// A one-second auction window, [`DEFAULT_CONFIRMATIONS`], and the node's `finalized` block as finality.
    fn default() -> Self {
        Self {
            auction_window: Duration::from_secs(1),
            confirmations: DEFAULT_CONFIRMATIONS,
            finality: Finality::Finalized,
            sequencers: 1,
            consensus: None,
        }
    }
}

/// The devnet's agents, each with a config generated from the manifest and the run folder (each
/// agent's subcommand of `nxtp`): an updater per domain, the message relayer, the processor and
/// the watcher; and, when the manifest names the services' endpoints, the relayer, the sequencer,
/// both routers and the slow-path executor, and the indexer when it names one.
pub fn default_agents(
    manifest: &Manifest,
    run_dir: &Path,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    let mut agents = updater_agent::specs(manifest, run_dir, options);
    agents.extend(message_relayer_agent::spec(manifest, run_dir, options));
    agents.extend(processor_agent::spec(manifest, run_dir, options));
    agents.extend(watcher_agent::spec(manifest, run_dir, options));
    agents.extend(liquidity_agents(manifest, run_dir, options));
    agents
}

/// The liquidity layer's agents, if the manifest names where its services listen.
pub fn liquidity_agents(
    manifest: &Manifest,
    run_dir: &Path,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    let Some(services) = &manifest.services else {
        return Vec::new();
    };
    let (Some(relayer_api), Some(sequencer_api)) = (
        services::listen_address(&services.relayer_url),
        services::listen_address(&services.sequencer_url),
    ) else {
        return Vec::new();
    };
    let mut agents = Vec::new();
    agents.extend(relayer_agent::spec(manifest, run_dir, relayer_api, options));
    agents.extend(sequencer_agent::specs(
        manifest,
        run_dir,
        sequencer_api,
        &services.relayer_url,
        options,
    ));
    for (index, role) in liquidity::ROUTERS.iter().enumerate() {
        let sequencer_url =
            sequencer_agent::router_sequencer_url(options, index, &services.sequencer_url);
        agents.extend(router_agent::spec(
            manifest,
            run_dir,
            role.name(),
            &sequencer_url,
            options,
        ));
    }
    agents.extend(executor_agent::spec(
        manifest,
        run_dir,
        &services.relayer_url,
        options,
    ));
    agents.extend(indexer_agent::spec(manifest, run_dir, options));
    agents
}

/// Gives every agent whose config lets the OS pick its ops server's port a known one, so the summary can say where
/// its `/health` and `/metrics` are; returns them by agent name.
fn assign_ops_ports(
    specs: &mut [AgentSpec],
    ports: Ports,
    book: &mut PortBook,
) -> Result<BTreeMap<String, SocketAddr>, PortsError> {
    let mut ops = BTreeMap::new();
    for (k, spec) in specs.iter_mut().enumerate() {
        let listen = ports.ops(k, book)?;
        if let Some(config) = ports::with_ops_listen(&spec.config_toml, listen) {
            spec.config_toml = config;
            ops.insert(spec.name.clone(), listen);
        }
    }
    Ok(ops)
}

/// What to start.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// The anvil binary.
    pub anvil: PathBuf,
    /// How many chains (domains 1000, 2000, …).
    pub chains: usize,
    /// Interval between blocks; zero mines each transaction at once.
    pub block_time: Duration,
    /// Anvil's `--slots-in-an-epoch`: its `finalized` block is two epochs (`2 × slots_in_an_epoch` blocks)
    /// behind its head.
    pub slots_in_an_epoch: u64,
    /// The Replicas' optimistic window.
    pub optimistic_seconds: u32,
    /// The run folder (created, or emptied if an earlier devnet used it).
    pub run_dir: PathBuf,
    /// The program agents run as (the `nxtp` binary).
    pub agent_program: PathBuf,
    /// Which agents to run.
    pub agents: AgentList,
    /// Their settings beyond the manifest.
    pub agent_options: AgentOptions,
    /// How long an agent or a chain has to exit after SIGTERM before it is killed.
    pub grace: Duration,
    /// The liquidity layer and its funding; `None` deploys the messaging layer only. Funding the routers on
    /// the domains other than `DEMO`'s home bridges it there, so `agents` must include the messaging agents.
    pub liquidity: Option<LiquidityConfig>,
    /// Free ports at every start, or fixed ones that stay the same across restarts.
    pub ports: Ports,
}

impl DevnetConfig {
    /// Three chains, one-second blocks, one slot per epoch (anvil's `finalized` block 2 blocks behind its
    /// head), a 5-second window, the default agents, the liquidity layer.
    pub fn new(anvil: PathBuf, run_dir: PathBuf, agent_program: PathBuf) -> Self {
        Self {
            anvil,
            chains: 3,
            block_time: Duration::from_secs(1),
            slots_in_an_epoch: chains::DEFAULT_SLOTS_IN_AN_EPOCH,
            optimistic_seconds: 5,
            run_dir,
            agent_program,
            agents: default_agents,
            agent_options: AgentOptions::default(),
            grace: Duration::from_secs(10),
            liquidity: Some(LiquidityConfig::default()),
            ports: Ports::Any,
        }
    }
}

/// Why the devnet could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// Bridging the routers' liquidity waits out the optimistic window, which only passes as blocks are mined.
    #[error("the liquidity layer needs interval mining: give a block time above zero")]
    NeedsIntervalMining,
    /// The run folder.
    #[error("cannot use the run folder")]
    RunDir(#[from] RunDirError),
    /// The chains.
    #[error("cannot start the chains")]
    Chains(#[from] ChainError),
    /// The accounts.
    #[error("anvil's development accounts do not cover every role")]
    Accounts(#[from] AccountsError),
    /// The contracts.
    #[error("cannot deploy the contracts")]
    Deploy(#[from] DeployError),
    /// Ports for the chains, the services or the agents' ops servers.
    #[error("cannot use the devnet's ports")]
    Ports(#[from] PortsError),
    /// The manifest.
    #[error("cannot write the manifest")]
    Manifest(#[from] ManifestError),
    /// The agents.
    #[error("cannot start the agents")]
    Agents(#[from] supervisor::SupervisorError),
    /// A sequencer network the devnet cannot run.
    #[error("{0}")]
    Sequencers(String),
}

/// A running devnet. [`Devnet::stop`] stops it; dropping it kills the processes instead.
#[derive(Debug)]
pub struct Devnet {
    manifest: Manifest,
    manifest_path: PathBuf,
    chain_logs: BTreeMap<Domain, PathBuf>,
    ops: BTreeMap<String, SocketAddr>,
    supervisor: Supervisor,
    chains: Chains,
    grace: Duration,
    agent_options: AgentOptions,
    slots_in_an_epoch: u64,
    // Last, so the folder stays locked until everything else is gone.
    run_dir: RunDir,
}

impl Devnet {
    /// Starts the chains, deploys, writes the manifest and starts the agents. Must be called within a
    /// tokio runtime. On failure, whatever was started is stopped again.
    pub async fn start(config: DevnetConfig) -> Result<Self, DevnetError> {
        if config.liquidity.is_some() && config.block_time.is_zero() {
            return Err(DevnetError::NeedsIntervalMining);
        }
        config.ports.check(config.chains)?;
        let sequencers = config.agent_options.sequencers;
        if sequencers == 0 || sequencers > sequencer_agent::MAX_SEQUENCERS {
            return Err(DevnetError::Sequencers(format!(
                "{sequencers} sequencers: the devnet runs 1 to {}",
                sequencer_agent::MAX_SEQUENCERS
            )));
        }
        if sequencers > 1 && config.liquidity.is_none() {
            return Err(DevnetError::Sequencers(
                "a sequencer network needs the liquidity layer".to_owned(),
            ));
        }
        let run_dir = RunDir::prepare(&config.run_dir)?;
        let mut chains_config = ChainsConfig::new(
            config.anvil.clone(),
            config.chains,
            run_dir.path().to_owned(),
        );
        chains_config.block_time = config.block_time;
        chains_config.slots_in_an_epoch = config.slots_in_an_epoch;
        chains_config.ports = config.ports;
        tracing::info!(chains = config.chains, block_time = ?config.block_time, "starting chains");
        let chains = Chains::start(&chains_config).await?;
        match Self::deploy_and_run(&config, &run_dir, &chains).await {
            Ok((manifest, manifest_path, ops, supervisor, agent_options)) => Ok(Self {
                chain_logs: chains
                    .chains()
                    .iter()
                    .map(|chain| (chain.domain, chain.log.clone()))
                    .collect(),
                manifest,
                manifest_path,
                ops,
                supervisor,
                chains,
                grace: config.grace,
                agent_options,
                slots_in_an_epoch: config.slots_in_an_epoch,
                run_dir,
            }),
            Err(err) => {
                chains.stop(config.grace).await;
                Err(err)
            }
        }
    }

    async fn deploy_and_run(
        config: &DevnetConfig,
        run_dir: &RunDir,
        chains: &Chains,
    ) -> Result<
        (
            Manifest,
            PathBuf,
            BTreeMap<String, SocketAddr>,
            Supervisor,
            AgentOptions,
        ),
        DevnetError,
    > {
        let accounts = DevAccounts::from_keys(chains.dev_keys())?;
        // Every free port this start picks stays held until just before the agents start.
        let mut book = PortBook::default();
        let deploy_config = DeployConfig {
            optimistic_seconds: config.optimistic_seconds,
            ..DeployConfig::default()
        };
        tracing::info!("deploying contracts");
        let mut manifest = deploy(&chains.endpoints(), &accounts, &deploy_config).await?;
        if let Some(liquidity) = &config.liquidity {
            tracing::info!("deploying the liquidity layer");
            deploy_liquidity(&mut manifest, &accounts, liquidity).await?;
            manifest.services = Some(config.ports.services(&mut book)?);
        }
        let mut agent_options = config.agent_options.clone();
        if let (Some(liquidity), true) = (&config.liquidity, agent_options.sequencers > 1) {
            agent_options.consensus = Some(
                sequencer_network(
                    &mut manifest,
                    chains,
                    &accounts,
                    config,
                    liquidity,
                    &mut book,
                )
                .await?,
            );
        }
        let manifest_path = run_dir.path().join(MANIFEST_FILE);
        manifest.save(&manifest_path)?;
        let mut specs = (config.agents)(&manifest, run_dir.path(), &agent_options);
        let ops = assign_ops_ports(&mut specs, config.ports, &mut book)?;
        drop(book);
        let mut supervisor_config =
            SupervisorConfig::new(config.agent_program.clone(), run_dir.path().to_owned());
        supervisor_config.grace = config.grace;
        let supervisor = Supervisor::start(specs, supervisor_config)?;
        if let Some(liquidity) = &config.liquidity {
            tracing::info!("bridging the routers' liquidity to every domain");
            if let Err(err) = bridge_liquidity(&manifest, &accounts, liquidity).await {
                supervisor.shutdown().await;
                return Err(err.into());
            }
        }
        Ok((manifest, manifest_path, ops, supervisor, agent_options))
    }

    /// The deployment.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the manifest was written.
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }

    /// The run folder (absolute).
    pub fn run_dir(&self) -> &Path {
        self.run_dir.path()
    }

    /// The chains.
    pub fn chains(&self) -> &Chains {
        &self.chains
    }

    /// Each agent's ops server (`/health`, `/metrics`), by agent name.
    pub fn ops_addresses(&self) -> &BTreeMap<String, SocketAddr> {
        &self.ops
    }

    /// The agents' settings, with the sequencer network's layout when it runs one.
    pub fn agent_options(&self) -> &AgentOptions {
        &self.agent_options
    }

    /// The agents.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// Where everything is, for people.
    pub fn summary(&self) -> String {
        summary::render(summary::SummaryInput {
            manifest: &self.manifest,
            manifest_path: &self.manifest_path,
            run_dir: self.run_dir.path(),
            chain_logs: &self.chain_logs,
            agents: self.supervisor.agents(),
            ops: &self.ops,
            agent_options: &self.agent_options,
            slots_in_an_epoch: self.slots_in_an_epoch,
        })
    }

    /// Stops the agents first (they may be mid-transaction against the chains), then the chains.
    pub async fn stop(self) {
        tracing::info!("stopping agents");
        self.supervisor.shutdown().await;
        tracing::info!("stopping chains");
        self.chains.stop(self.grace).await;
    }
}

/// Sets up the sequencer network of `config`'s `sequencers` nodes: their keys (the `sequencer` key, then
/// anvil's development accounts after the roles', recorded in the manifest's `dev_keys` as `sequencer_1`,
/// ...), each approved on every `Connext` with the threshold set to their quorum, and their ports.
async fn sequencer_network(
    manifest: &mut Manifest,
    chains: &Chains,
    accounts: &DevAccounts,
    config: &DevnetConfig,
    liquidity: &LiquidityConfig,
    book: &mut PortBook,
) -> Result<sequencer_agent::ConsensusLayout, DevnetError> {
    let count = config.agent_options.sequencers;
    let keys = chains.dev_keys();
    let mut addresses = vec![accounts.address(Role::Sequencer)];
    for index in 1..count {
        let position = Role::ALL.len() + index - 1;
        let key = keys.get(position).ok_or_else(|| {
            DevnetError::Sequencers(format!(
                "no development account {position} for sequencer node {index}"
            ))
        })?;
        let signer = alloy::signers::local::PrivateKeySigner::from_bytes(key)
            .map_err(|_| DevnetError::Accounts(AccountsError::InvalidKey { index: position }))?;
        addresses.push(signer.address());
        manifest
            .dev_keys
            .insert(sequencer_agent::node_key_name(index), *key);
    }
    let threshold = sequencer_agent::threshold(count);
    tracing::info!(nodes = count, threshold, "approving the sequencer network");
    nxtp_deployment::set_sequencer_quorum(
        manifest,
        accounts.signer(Role::Deployer),
        &addresses,
        threshold,
        liquidity.receipt_timeout,
    )
    .await?;
    let sequencer_api = manifest
        .services
        .as_ref()
        .and_then(|services| services::listen_address(&services.sequencer_url))
        .ok_or_else(|| DevnetError::Sequencers("no sequencer API address".to_owned()))?;
    let nodes = config
        .ports
        .sequencer_nodes(count, sequencer_api, book)?
        .into_iter()
        .map(|(api, consensus)| sequencer_agent::SequencerNode { api, consensus })
        .collect();
    Ok(sequencer_agent::ConsensusLayout {
        nodes,
        threshold,
        router_liquidity: liquidity.router_liquidity,
    })
}
