//! Starting the chains and deploying the messaging (and, if asked, the liquidity) layer on them.

use crate::AsDomain;
use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use nxtp_chain::ChainConfig;
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    deploy, deploy_liquidity, liquidity::DEMO_SYMBOL, DeployConfig, DevAccounts, Endpoint,
    LiquidityConfig, Role, RECORDING_RECIPIENT,
};
use nxtp_primitives::{ConnextSigningDomain, Domain, HomeSigningDomain, ManagerSigningDomain};
use nxtp_toolchain::AnvilInstance;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// How the chains mine.
#[derive(Clone, Copy, Debug)]
pub enum Mining {
    /// A block per transaction, plus whatever the test mines.
    Auto,
    /// A block every interval.
    Interval(Duration),
}

impl Mining {
    /// A block every `ms` milliseconds.
    pub fn every_ms(ms: u64) -> Self {
        Self::Interval(Duration::from_millis(ms))
    }
}

/// What to start.
#[derive(Clone, Debug)]
pub struct Options {
    /// One chain per domain, in order (chain ids 31337, 31338, …).
    pub domains: Vec<Domain>,
    /// How they mine.
    pub mining: Mining,
    /// The deployment's parameters.
    pub deploy: DeployConfig,
    /// The liquidity layer's funding, if it is deployed too: the liquidity agents' tests need
    /// it, the messaging agents' tests are faster without it.
    pub liquidity: Option<LiquidityConfig>,
}

impl Options {
    /// Chains for `domains`, mining a block per transaction, deployed as the devnet would be.
    pub fn new(domains: &[u32]) -> Self {
        Self {
            domains: domains.iter().copied().map(Domain).collect(),
            mining: Mining::Auto,
            deploy: DeployConfig::default(),
            liquidity: None,
        }
    }

    /// `chains` chains for domains 1000, 2000, …, as the devnet numbers them.
    pub fn numbered(chains: usize) -> Self {
        let domains: Vec<u32> = (1..=chains).map(|i| 1000 * i as u32).collect();
        Self::new(&domains)
    }

    /// Mines as `mining` says.
    pub fn mining(mut self, mining: Mining) -> Self {
        self.mining = mining;
        self
    }

    /// Gives every Replica a `seconds`-long optimistic window.
    pub fn optimistic_seconds(mut self, seconds: u32) -> Self {
        self.deploy.optimistic_seconds = seconds;
        self
    }

    /// Deploys the liquidity layer over the messaging layer as the devnet does (the first domain
    /// is `DEMO`'s home), funded as `config` says, before the manifest is written: agents that
    /// read the manifest file then find it.
    pub fn liquidity(mut self, config: LiquidityConfig) -> Self {
        self.liquidity = Some(config);
        self
    }
}

/// Why the net could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestNetError {
    /// Nothing to start.
    #[error("a net needs at least one domain")]
    NoDomains,
    /// The run folder.
    #[error("cannot create the run folder")]
    RunDir(#[source] std::io::Error),
    /// The accounts.
    #[error("anvil's development accounts do not cover every role")]
    Accounts(#[from] nxtp_devnet::AccountsError),
    /// The contracts.
    #[error("cannot deploy the messaging contracts")]
    Deploy(#[from] nxtp_devnet::DeployError),
    /// The liquidity layer's contracts or funding.
    #[error("cannot deploy the liquidity layer")]
    Liquidity(#[source] nxtp_devnet::DeployError),
    /// The manifest file.
    #[error("cannot write the manifest")]
    Manifest(#[from] nxtp_deployment::ManifestError),
}

/// Running chains with the messaging contracts (and, if [`Options::liquidity`] asked, the liquidity
/// layer) deployed, and the development accounts. Dropping it kills the chains and removes its
/// folder.
pub struct TestNet {
    /// The chains, in domain order.
    pub anvils: Vec<AnvilInstance>,
    /// The deployment (with the development keys).
    pub manifest: Manifest,
    /// One signer per role.
    pub accounts: DevAccounts,
    /// Where the manifest file is: where the devnet writes it, so its generated agent configs apply
    /// as they are.
    pub manifest_path: PathBuf,
    // Last: the chains may still write here while they stop.
    dir: tempfile::TempDir,
}

impl TestNet {
    /// Starts the chains, deploys and writes the manifest to `<dir>/manifest.json`.
    pub async fn start(options: Options) -> Result<Self, TestNetError> {
        if options.domains.is_empty() {
            return Err(TestNetError::NoDomains);
        }
        let dir = tempfile::tempdir().map_err(TestNetError::RunDir)?;
        let anvils: Vec<AnvilInstance> = (0..options.domains.len())
            .map(|i| {
                let anvil = nxtp_toolchain::anvil()
                    .chain_id(31337 + i as u64)
                    .arg("--slots-in-an-epoch")
                    .arg(nxtp_toolchain::SLOTS_IN_AN_EPOCH.to_string());
                match options.mining {
                    Mining::Auto => anvil.spawn(),
                    Mining::Interval(every) => anvil.block_time_f64(every.as_secs_f64()).spawn(),
                }
            })
            .collect();
        let endpoints: Vec<Endpoint> = options
            .domains
            .iter()
            .zip(&anvils)
            .map(|(&domain, anvil)| Endpoint {
                domain,
                rpc_url: anvil.endpoint(),
            })
            .collect();
        let keys: Vec<B256> = anvils[0]
            .keys()
            .iter()
            .map(|key| B256::from_slice(&key.to_bytes()))
            .collect();
        let accounts = DevAccounts::from_keys(&keys)?;
        let mut manifest = deploy(&endpoints, &accounts, &options.deploy).await?;
        if let Some(config) = &options.liquidity {
            deploy_liquidity(&mut manifest, &accounts, config)
                .await
                .map_err(TestNetError::Liquidity)?;
        }
        let net = Self {
            anvils,
            manifest,
            accounts,
            manifest_path: dir.path().join(nxtp_devnet::MANIFEST_FILE),
            dir,
        };
        net.save_manifest()?;
        Ok(net)
    }

    /// One chain per domain mining a block a second, deployed with a `window`-second optimistic
    /// window; panics (failing the test) if it cannot start.
    pub async fn with_window(domains: &[u32], window: u32) -> Self {
        let options = Options::new(domains)
            .mining(Mining::every_ms(1000))
            .optimistic_seconds(window);
        Self::start(options).await.expect("the net starts")
    }

    /// Writes the manifest again, after the test changed it.
    pub fn save_manifest(&self) -> Result<(), nxtp_deployment::ManifestError> {
        self.manifest.save(&self.manifest_path)
    }

    /// The folder for the test's own files (manifest, configs, databases, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `name` in [`TestNet::dir`].
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` as `<name>.toml` in [`TestNet::dir`] and returns its path.
    pub fn write_config(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(&format!("{name}.toml"));
        std::fs::write(&path, text).expect("writes the config");
        path
    }

    /// The domains, in order.
    pub fn domains(&self) -> Vec<Domain> {
        self.manifest.domains.keys().copied().collect()
    }

    /// Some domain other than `domain`.
    pub fn other_domain(&self, domain: impl AsDomain) -> Domain {
        let domain = domain.domain();
        self.domains()
            .into_iter()
            .find(|&other| other != domain)
            .expect("the net has another domain")
    }

    /// The RPC URL of `domain`'s chain.
    pub fn rpc_url(&self, domain: impl AsDomain) -> String {
        self.manifest
            .domain(domain.domain())
            .expect("a deployed domain")
            .rpc_url
            .clone()
    }

    /// A provider signing as `role`, counting nonces locally so transactions can be sent back to
    /// back.
    pub fn wallet(&self, domain: impl AsDomain, role: Role) -> DynProvider {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_cached_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(self.accounts.signer(role).clone()))
            .connect_http(self.rpc_url(domain).parse().expect("a valid URL"))
            .erased()
    }

    /// A provider that only reads.
    pub fn reader(&self, domain: impl AsDomain) -> DynProvider {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(self.rpc_url(domain).parse().expect("a valid URL"))
            .erased()
    }

    /// `domain`'s Home.
    pub fn home(&self, domain: impl AsDomain) -> Address {
        self.manifest
            .domain(domain.domain())
            .expect("a deployed domain")
            .home
    }

    /// The Replica of `origin` on `on`.
    pub fn replica(&self, on: impl AsDomain, origin: impl AsDomain) -> Address {
        self.manifest
            .domain(on.domain())
            .expect("a deployed domain")
            .replicas[&origin.domain()]
    }

    /// The recording recipient on `domain`.
    pub fn recipient(&self, domain: impl AsDomain) -> Address {
        self.manifest
            .domain(domain.domain())
            .expect("a deployed domain")
            .contracts[RECORDING_RECIPIENT]
    }

    /// `domain`'s `Connext`; panics unless the liquidity layer is deployed.
    pub fn connext(&self, domain: impl AsDomain) -> Address {
        self.manifest
            .liquidity(domain.domain())
            .expect("the liquidity layer is deployed")
            .connext
    }

    /// `DEMO` on `domain`: the canonical token at its home, the bridge's representation elsewhere;
    /// panics unless the liquidity layer is deployed.
    pub fn demo_on(&self, domain: impl AsDomain) -> Address {
        self.manifest
            .liquidity(domain.domain())
            .expect("the liquidity layer is deployed")
            .assets[DEMO_SYMBOL]
            .local
    }

    /// The EIP-712 domain of `domain`'s Home: what its updates are signed for.
    pub fn home_signing(&self, domain: impl AsDomain) -> HomeSigningDomain {
        let domain = domain.domain();
        let deployment = self.manifest.domain(domain).expect("a deployed domain");
        HomeSigningDomain::new(domain, deployment.chain_id, deployment.home)
    }

    /// The EIP-712 domain of `domain`'s connection manager: what watcher notices are signed for.
    pub fn manager_signing(&self, domain: impl AsDomain) -> ManagerSigningDomain {
        let deployment = self
            .manifest
            .domain(domain.domain())
            .expect("a deployed domain");
        ManagerSigningDomain::new(deployment.chain_id, deployment.connection_manager)
    }

    /// The EIP-712 domain of `domain`'s `Connext`: what bids and selections for transfers to
    /// it are signed for; panics unless the liquidity layer is deployed.
    pub fn connext_signing(&self, domain: impl AsDomain) -> ConnextSigningDomain {
        let domain = domain.domain();
        let deployment = self.manifest.domain(domain).expect("a deployed domain");
        ConnextSigningDomain::new(deployment.chain_id, self.connext(domain))
    }

    /// How an agent reads `domain`: `confirmations` deep, polling every 100 ms.
    pub fn chain_config(&self, domain: impl AsDomain, confirmations: u64) -> ChainConfig {
        let deployment = self
            .manifest
            .domain(domain.domain())
            .expect("a deployed domain");
        let mut config = ChainConfig::new(
            deployment.rpc_url.parse().expect("a valid URL"),
            deployment.chain_id,
            confirmations,
        );
        config.poll_interval_ms = 100;
        config
    }

    /// The latest block's timestamp on `domain`.
    pub async fn chain_time(&self, domain: impl AsDomain) -> u64 {
        let head = self
            .reader(domain)
            .get_block_by_number(BlockNumberOrTag::Latest);
        head.await
            .expect("reads the head")
            .expect("the head exists")
            .header
            .timestamp
    }

    /// Transactions `role`'s account has had mined on `domain`.
    pub async fn mined_txs(&self, domain: impl AsDomain, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .await
            .expect("reads the nonce")
    }

    /// Transactions `role`'s account has sent on `domain`, mined or not.
    pub async fn sent_txs(&self, domain: impl AsDomain, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .pending()
            .await
            .expect("reads the pending nonce")
    }
}
