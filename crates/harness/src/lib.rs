//! Test harness for the liquidity agents' end-to-end tests: real anvil chains with interval mining, the
//! messaging and liquidity layers deployed by `nxtp-devnet`, and the messaging agents (updater per domain,
//! message relayer, processor, watcher) running in-process with the devnet's own configs. With
//! [`NetOptions::bridge`], every router also has liquidity on every domain (bridged there by real transfers).
//!
//! ```no_run
//! # async fn example() {
//! let net = nxtp_harness::LiquidityNet::start(nxtp_harness::NetOptions::default())
//!     .await
//!     .expect("the net starts");
//! let connext = net.manifest().liquidity(nxtp_primitives::Domain(2000)).unwrap().connext;
//! # let _ = connext;
//! net.stop().await;
//! # }
//! ```

mod agents;

pub use agents::{AgentsError, MessagingAgents};

use alloy::primitives::B256;
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    bridge_liquidity, deploy, deploy_liquidity, DeployConfig, DeployError, DevAccounts, Endpoint,
    LiquidityConfig,
};
use nxtp_primitives::Domain;
use nxtp_testkit::AnvilInstance;
use std::{path::Path, time::Duration};

/// What to start.
#[derive(Clone, Debug)]
pub struct NetOptions {
    /// How many chains (domains 1000, 2000, …; chain ids 31337, 31338, …).
    pub domains: usize,
    /// Interval between blocks.
    pub block_time: Duration,
    /// The Replicas' optimistic window.
    pub optimistic_seconds: u32,
    /// The liquidity layer's funding.
    pub liquidity: LiquidityConfig,
    /// Bridge router liquidity and user funds to every domain (takes one messaging round trip).
    pub bridge: bool,
}

impl Default for NetOptions {
    /// Two domains, 250 ms blocks, a 1-second window, default funding, bridged.
    fn default() -> Self {
        Self {
            domains: 2,
            block_time: Duration::from_millis(250),
            optimistic_seconds: 1,
            liquidity: LiquidityConfig::default(),
            bridge: true,
        }
    }
}

/// Why the net could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The run folder.
    #[error("cannot create the run folder")]
    RunDir(#[source] std::io::Error),
    /// The accounts.
    #[error("anvil's development accounts do not cover every role")]
    Accounts(#[from] nxtp_devnet::AccountsError),
    /// The contracts.
    #[error("cannot deploy")]
    Deploy(#[from] DeployError),
    /// The manifest file.
    #[error("cannot write the manifest")]
    Manifest(#[from] nxtp_deployment::ManifestError),
    /// The agents.
    #[error("cannot start the messaging agents")]
    Agents(#[from] AgentsError),
}

/// Running chains, deployed contracts and messaging agents. Dropping it kills the chains; [`LiquidityNet::stop`]
/// stops the agents first.
pub struct LiquidityNet {
    manifest: Manifest,
    accounts: DevAccounts,
    agents: MessagingAgents,
    anvils: Vec<AnvilInstance>,
    // Last: the agents' databases live here.
    dir: tempfile::TempDir,
}

impl LiquidityNet {
    /// Starts chains, deploys both layers, starts the messaging agents and, if asked, bridges liquidity.
    pub async fn start(options: NetOptions) -> Result<Self, NetError> {
        let dir = tempfile::tempdir().map_err(NetError::RunDir)?;
        let block_time = options.block_time.as_secs_f64();
        let anvils: Vec<AnvilInstance> = (0..options.domains)
            .map(|i| {
                nxtp_testkit::anvil()
                    .chain_id(31337 + i as u64)
                    .block_time_f64(block_time)
                    .spawn()
            })
            .collect();
        let endpoints: Vec<Endpoint> = anvils
            .iter()
            .enumerate()
            .map(|(i, anvil)| Endpoint {
                domain: Domain(1000 * (i as u32 + 1)),
                rpc_url: anvil.endpoint(),
            })
            .collect();
        let keys: Vec<B256> = anvils[0]
            .keys()
            .iter()
            .map(|key| B256::from_slice(&key.to_bytes()))
            .collect();
        let accounts = DevAccounts::from_keys(&keys)?;
        let deploy_config = DeployConfig {
            optimistic_seconds: options.optimistic_seconds,
            ..DeployConfig::default()
        };
        let mut manifest = deploy(&endpoints, &accounts, &deploy_config).await?;
        deploy_liquidity(&mut manifest, &accounts, &options.liquidity).await?;
        // Some agents read the deployment from the manifest file, as they do on the devnet.
        manifest.save(&dir.path().join(nxtp_devnet::MANIFEST_FILE))?;
        let agents = MessagingAgents::start(&manifest, dir.path()).await?;
        if options.bridge {
            if let Err(err) = bridge_liquidity(&manifest, &accounts, &options.liquidity).await {
                agents.stop().await;
                return Err(err.into());
            }
        }
        Ok(Self {
            manifest,
            accounts,
            agents,
            anvils,
            dir,
        })
    }

    /// The deployment (with the development keys).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// One signer per role.
    pub fn accounts(&self) -> &DevAccounts {
        &self.accounts
    }

    /// The chains, in domain order.
    pub fn anvils(&self) -> &[AnvilInstance] {
        &self.anvils
    }

    /// A folder for the test's own files (databases, configs), removed with the net.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the messaging agents, then the chains.
    pub async fn stop(self) {
        self.agents.stop().await;
    }
}
