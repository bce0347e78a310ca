//! Both layers with the messaging agents running: the fixture of end-to-end tests of the liquidity layer.
//!
//! Real anvil chains with interval mining, the messaging and liquidity layers deployed as the devnet deploys
//! them, and the messaging agents (updater per domain, message relayer, processor, watcher) running
//! in-process with the devnet's own configs. With [`LiquidityNetOptions::bridge`], every router also has
//! liquidity on every domain, bridged there by real transfers.

use crate::{
    in_process::{messaging_agent_specs, AgentsError, InProcessAgents, Launch},
    Mining, Options, TestNet, TestNetError,
};
use nxtp_deployment::Manifest;
use nxtp_devnet::{bridge_liquidity, DeployError, DevAccounts, LiquidityConfig};
use nxtp_toolchain::AnvilInstance;
use std::{path::Path, time::Duration};

/// What to start.
#[derive(Clone, Debug)]
pub struct LiquidityNetOptions {
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

impl Default for LiquidityNetOptions {
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
pub enum LiquidityNetError {
    /// The chains and the contracts.
    #[error("cannot start the net")]
    Net(#[from] TestNetError),
    /// Bridging the routers' liquidity.
    #[error("cannot bridge the routers' liquidity")]
    Bridge(#[from] DeployError),
    /// The agents.
    #[error("cannot start the messaging agents")]
    Agents(#[from] AgentsError),
}

/// Running chains, deployed contracts and messaging agents. Dropping it kills the chains;
/// [`LiquidityNet::stop`] stops the agents first.
pub struct LiquidityNet {
    agents: InProcessAgents,
    // Last: the agents' databases live in its folder.
    net: TestNet,
}

impl LiquidityNet {
    /// Starts chains, deploys both layers, starts the messaging agents (`launch` says which agent type runs
    /// each) and, if asked, bridges liquidity.
    pub async fn start(
        options: LiquidityNetOptions,
        launch: Launch,
    ) -> Result<Self, LiquidityNetError> {
        let net_options = Options::numbered(options.domains)
            .mining(Mining::Interval(options.block_time))
            .optimistic_seconds(options.optimistic_seconds)
            .liquidity(options.liquidity.clone());
        let net = TestNet::start(net_options).await?;
        let specs = messaging_agent_specs(&net.manifest, net.dir());
        let agents = InProcessAgents::start(&specs, net.dir(), launch).await?;
        if options.bridge {
            if let Err(err) =
                bridge_liquidity(&net.manifest, &net.accounts, &options.liquidity).await
            {
                agents.stop().await;
                return Err(err.into());
            }
        }
        Ok(Self { agents, net })
    }

    /// The chains with the messaging layer, and its shortcuts.
    pub fn net(&self) -> &TestNet {
        &self.net
    }

    /// The deployment (with the development keys).
    pub fn manifest(&self) -> &Manifest {
        &self.net.manifest
    }

    /// One signer per role.
    pub fn accounts(&self) -> &DevAccounts {
        &self.net.accounts
    }

    /// The chains, in domain order.
    pub fn anvils(&self) -> &[AnvilInstance] {
        &self.net.anvils
    }

    /// A folder for the test's own files (databases, configs), removed with the net.
    pub fn dir(&self) -> &Path {
        self.net.dir()
    }

    /// Stops the messaging agents, then the chains.
    pub async fn stop(self) {
        self.agents.stop().await;
    }
}
