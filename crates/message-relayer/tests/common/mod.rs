//! What the relayer's end-to-end tests share: anvils with the messaging contracts deployed by
//! `nxtp_devnet::deploy`, Home updates made as the updater would, and readers for every
//! Replica.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use nxtp_agent::{
    CancellationToken, KeySource, LogFormat, RunError, SecretString, TelemetryConfig,
};
use nxtp_bindings::{Home, Replica};
use nxtp_chain::ChainConfig;
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, DevAccounts, Endpoint, Role};
use nxtp_message_relayer::{MessageRelayer, RelayerConfig};
use nxtp_primitives::{address_to_bytes32, sign_personal, update_hash, Domain};
use nxtp_testkit::AnvilInstance;
use std::{
    future::Future,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;

/// Every wait is bounded, so a stuck agent fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Block interval of the test chains, in milliseconds.
pub const BLOCK_MS: u64 = 250;

/// One Home update: (old root, new root, signature).
pub type Update = (B256, B256, Bytes);

/// Anvils with every messaging contract deployed and wired, mining a block every
/// [`BLOCK_MS`].
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
    pub dir: tempfile::TempDir,
    pub manifest_path: PathBuf,
}

impl Net {
    /// Chains for `domains` (chain ids 31337, 31338, …), deployed.
    pub async fn start(domains: &[u32]) -> Self {
        let _ =
            nxtp_agent::logging::init_logging(LogFormat::Plain, "info,nxtp_message_relayer=debug");
        let anvils: Vec<AnvilInstance> = (0..domains.len())
            .map(|i| {
                nxtp_testkit::anvil()
                    .chain_id(31337 + i as u64)
                    .arg("--block-time")
                    .arg(format!("{}", BLOCK_MS as f64 / 1000.0))
                    .spawn()
            })
            .collect();
        let endpoints: Vec<Endpoint> = domains
            .iter()
            .zip(&anvils)
            .map(|(&domain, anvil)| Endpoint {
                domain: Domain(domain),
                rpc_url: anvil.endpoint(),
            })
            .collect();
        let keys: Vec<B256> = anvils[0]
            .keys()
            .iter()
            .map(|key| B256::from_slice(&key.to_bytes()))
            .collect();
        let accounts = DevAccounts::from_keys(&keys).expect("enough dev accounts");
        let manifest = deploy(&endpoints, &accounts, &DeployConfig::default())
            .await
            .expect("deploys");
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest_path = dir.path().join("manifest.json");
        manifest.save(&manifest_path).expect("saves manifest");
        Self {
            anvils,
            manifest,
            accounts,
            dir,
            manifest_path,
        }
    }

    pub fn domains(&self) -> Vec<Domain> {
        self.manifest.domains.keys().copied().collect()
    }

    pub fn db(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The relayer's config: every domain, read `confirmations` deep.
    pub fn relayer_config(&self, db: &Path, confirmations: u64) -> RelayerConfig {
        let key = self.accounts.signer(Role::MessageRelayer).to_bytes();
        RelayerConfig {
            database: db.to_owned(),
            manifest: self.manifest_path.clone(),
            signer: KeySource::Hex(SecretString::new(format!("{key:#x}"))),
            domains: None,
            chains: self
                .domains()
                .into_iter()
                .map(|domain| {
                    let deployment = self.manifest.domain(domain).expect("domain");
                    let mut chain = ChainConfig::new(
                        deployment.rpc_url.parse().expect("url"),
                        deployment.chain_id,
                        confirmations,
                    );
                    chain.poll_interval_ms = 100;
                    (domain, chain)
                })
                .collect(),
            telemetry: TelemetryConfig {
                listen: "127.0.0.1:0".parse().expect("address"),
                log_format: LogFormat::Plain,
                log_filter: "info".to_owned(),
            },
        }
    }

    pub fn wallet(&self, domain: Domain, role: Role) -> DynProvider {
        let deployment = self.manifest.domain(domain).expect("deployed domain");
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(self.accounts.signer(role).clone()))
            .connect_http(deployment.rpc_url.parse().expect("url"))
            .erased()
    }

    pub fn reader(&self, domain: Domain) -> DynProvider {
        let deployment = self.manifest.domain(domain).expect("deployed domain");
        ProviderBuilder::new()
            .connect_http(deployment.rpc_url.parse().expect("url"))
            .erased()
    }

    pub fn home_address(&self, domain: Domain) -> Address {
        self.manifest.domain(domain).expect("domain").home
    }

    pub fn replica_address(&self, on: Domain, origin: Domain) -> Address {
        self.manifest.domain(on).expect("domain").replicas[&origin]
    }

    /// Dispatches one message on `origin`, checkpoints, and has the Home accept the
    /// updater's signed update to the new root, as the updater agent would (sent by the
    /// deployer, so the relayer's and updater's nonces are untouched).
    pub async fn make_update(&self, origin: Domain) -> Update {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home_address(origin), &wallet);
        let destination = self
            .domains()
            .into_iter()
            .find(|&d| d != origin)
            .expect("another domain");
        let recipient = address_to_bytes32(Address::repeat_byte(0x22));
        let receipt = home
            .dispatch(destination.get(), recipient, Bytes::from_static(b"hello"))
            .send()
            .await
            .expect("sends dispatch")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        let receipt = home
            .checkpoint()
            .send()
            .await
            .expect("sends checkpoint")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        let old = home.committedRoot().call().await.expect("committedRoot");
        let new = home.root().call().await.expect("root");
        let signer = self.accounts.signer(Role::Updater);
        let signature = Bytes::from(
            sign_personal(signer, update_hash(origin, old, new))
                .expect("signs")
                .to_vec(),
        );
        let receipt = home
            .update(old, new, signature.clone())
            .send()
            .await
            .expect("sends update")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        (old, new, signature)
    }

    /// Submits `update` to the Replica of `origin` on `on`, as the deployer.
    pub async fn relay_by_hand(&self, on: Domain, origin: Domain, update: &Update) {
        let wallet = self.wallet(on, Role::Deployer);
        let receipt = Replica::new(self.replica_address(on, origin), &wallet)
            .update(update.0, update.1, update.2.clone())
            .send()
            .await
            .expect("sends Replica.update")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
    }

    /// Every `Update` event of `contract` on `domain`, in chain order.
    pub async fn update_events(&self, domain: Domain, contract: Address) -> Vec<Update> {
        let filter = Filter::new()
            .address(contract)
            .event_signature(Home::Update::SIGNATURE_HASH)
            .from_block(0);
        self.reader(domain)
            .get_logs(&filter)
            .await
            .expect("logs")
            .iter()
            .map(|log| {
                let data = log.log_decode::<Home::Update>().expect("Update").inner.data;
                (data.oldRoot, data.newRoot, data.signature)
            })
            .collect()
    }

    /// The Home's updates of `origin`.
    pub async fn home_updates(&self, origin: Domain) -> Vec<Update> {
        self.update_events(origin, self.home_address(origin)).await
    }

    /// The updates the Replica of `origin` on `on` accepted.
    pub async fn replica_updates(&self, on: Domain, origin: Domain) -> Vec<Update> {
        self.update_events(on, self.replica_address(on, origin))
            .await
    }

    /// The committed root of the Replica of `origin` on `on`.
    pub async fn replica_root(&self, on: Domain, origin: Domain) -> B256 {
        let reader = self.reader(on);
        Replica::new(self.replica_address(on, origin), &reader)
            .committedRoot()
            .call()
            .await
            .expect("committedRoot")
    }

    /// How many transactions the relayer's key has had mined on `domain`.
    pub async fn relayer_transactions(&self, domain: Domain) -> u64 {
        let address = self.accounts.address(Role::MessageRelayer);
        self.reader(domain)
            .get_transaction_count(address)
            .await
            .expect("nonce")
    }

    /// Waits until every Replica holds its origin Home's committed root.
    pub async fn wait_until_caught_up(&self) {
        eventually(
            "every Replica to hold its Home's committed root",
            || async {
                for origin in self.domains() {
                    let reader = self.reader(origin);
                    let committed = Home::new(self.home_address(origin), &reader)
                        .committedRoot()
                        .call()
                        .await
                        .ok()?;
                    for on in self.domains() {
                        if on != origin && self.replica_root(on, origin).await != committed {
                            return None;
                        }
                    }
                }
                Some(())
            },
        )
        .await;
    }

    /// Every Replica holds exactly its origin Home's updates, in order, once each.
    pub async fn assert_replicas_mirror_homes(&self) {
        for origin in self.domains() {
            let home = self.home_updates(origin).await;
            for on in self.domains() {
                if on != origin {
                    assert_eq!(
                        self.replica_updates(on, origin).await,
                        home,
                        "Replica of {origin} on {on}"
                    );
                }
            }
        }
    }
}

/// A relayer running in this process.
pub struct Running {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), RunError>>,
}

impl Running {
    pub fn start(config: RelayerConfig) -> Self {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(nxtp_agent::run_until::<MessageRelayer>(
            config,
            shutdown.clone(),
        ));
        Self { shutdown, task }
    }

    /// Stops it at whatever await each of its tasks is at, like a crash there.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let outcome = tokio::time::timeout(TIMEOUT, self.task)
            .await
            .expect("stops in time")
            .expect("did not panic");
        outcome.expect("ran without error");
    }
}

/// Polls `check` until it yields `Some`, failing after [`TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
