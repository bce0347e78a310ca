//! What the updater's end-to-end tests share: anvils with the messaging contracts deployed by
//! `nxtp_devnet::deploy`, updater configs for them, and shortcuts to drive and read the chains.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use nxtp_agent::{
    CancellationToken, KeySource, LogFormat, RunError, SecretString, TelemetryConfig,
};
use nxtp_bindings::{Home, Replica};
use nxtp_chain::ChainConfig;
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, DevAccounts, Endpoint, Role};
use nxtp_primitives::{address_to_bytes32, recover_personal, update_hash, Domain};
use nxtp_testkit::AnvilInstance;
use nxtp_updater::{store::SignedUpdate, Updater, UpdaterConfig};
use rusqlite::{Connection, OpenFlags};
use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;

/// Every wait is bounded, so a stuck agent fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// How anvil mines.
#[derive(Clone, Copy, Debug)]
pub enum Mining {
    /// A block per transaction, plus whatever the test mines.
    Auto,
    /// A block every this many milliseconds.
    Interval(u64),
}

/// Anvils with every messaging contract deployed and wired.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
    pub dir: tempfile::TempDir,
    pub manifest_path: PathBuf,
}

impl Net {
    /// Chains for `domains` (chain ids 31337, 31338, …), deployed.
    pub async fn start(domains: &[u32], mining: Mining) -> Self {
        let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info,nxtp_updater=debug");
        let anvils: Vec<AnvilInstance> = (0..domains.len())
            .map(|i| {
                let anvil = nxtp_testkit::anvil().chain_id(31337 + i as u64);
                match mining {
                    Mining::Auto => anvil.spawn(),
                    Mining::Interval(ms) => anvil
                        .arg("--block-time")
                        .arg(format!("{}", ms as f64 / 1000.0))
                        .spawn(),
                }
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

    pub fn chain_config(&self, domain: Domain, confirmations: u64) -> ChainConfig {
        let deployment = self.manifest.domain(domain).expect("deployed domain");
        let mut config = ChainConfig::new(
            deployment.rpc_url.parse().expect("url"),
            deployment.chain_id,
            confirmations,
        );
        config.poll_interval_ms = 100;
        config
    }

    /// A database path in the test's folder.
    pub fn db(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The updater's config for `domain`'s Home, reading every chain `confirmations` deep.
    pub fn updater_config(&self, domain: Domain, db: &Path, confirmations: u64) -> UpdaterConfig {
        let key = self.accounts.signer(Role::Updater).to_bytes();
        UpdaterConfig {
            domain,
            database: db.to_owned(),
            manifest: Some(self.manifest_path.clone()),
            home: None,
            replicas: BTreeMap::new(),
            signer: KeySource::Hex(SecretString::new(format!("{key:#x}"))),
            chains: self
                .domains()
                .into_iter()
                .map(|d| (d, self.chain_config(d, confirmations)))
                .collect(),
            telemetry: telemetry(),
        }
    }

    /// A provider signing as `role`.
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

    pub fn updater_signer(&self) -> &PrivateKeySigner {
        self.accounts.signer(Role::Updater)
    }

    /// Dispatches `n` messages from `origin` to another domain, as the deployer.
    pub async fn dispatch(&self, origin: Domain, n: usize) {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home_address(origin), &wallet);
        let destination = self
            .domains()
            .into_iter()
            .find(|&d| d != origin)
            .expect("another domain");
        let recipient = address_to_bytes32(Address::repeat_byte(0x22));
        for i in 0..n {
            let receipt = home
                .dispatch(
                    destination.get(),
                    recipient,
                    Bytes::from(format!("message {i}").into_bytes()),
                )
                .send()
                .await
                .expect("sends dispatch")
                .get_receipt()
                .await
                .expect("dispatch receipt");
            assert!(receipt.status(), "dispatch succeeded");
        }
    }

    /// The Home's committed root and message count.
    pub async fn home_state(&self, domain: Domain) -> (B256, u64) {
        let reader = self.reader(domain);
        let home = Home::new(self.home_address(domain), &reader);
        let root = home.committedRoot().call().await.expect("committedRoot");
        let count = home.count().call().await.expect("count");
        (root, u64::try_from(count).expect("small"))
    }

    /// The root the Home's tree has now.
    pub async fn home_root(&self, domain: Domain) -> B256 {
        let reader = self.reader(domain);
        Home::new(self.home_address(domain), &reader)
            .root()
            .call()
            .await
            .expect("root")
    }

    /// How many messages a root the Home checkpointed covers.
    pub async fn checkpointed_count(&self, domain: Domain, root: B256) -> Option<u32> {
        let reader = self.reader(domain);
        let checkpoint = Home::new(self.home_address(domain), &reader)
            .checkpoints(root)
            .call()
            .await
            .expect("checkpoints");
        checkpoint.produced.then_some(checkpoint.count)
    }

    /// Every `Update` event of `contract` on `domain`: (old, new, signature, block), in order.
    pub async fn update_events(
        &self,
        domain: Domain,
        contract: Address,
    ) -> Vec<(B256, B256, Bytes, u64)> {
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
                let event = log.log_decode::<Home::Update>().expect("Update event");
                let data = event.inner.data;
                (
                    data.oldRoot,
                    data.newRoot,
                    data.signature,
                    log.block_number.expect("mined"),
                )
            })
            .collect()
    }

    /// Every `Checkpointed` event of `origin`'s Home: (root, count, block).
    pub async fn checkpoint_events(&self, origin: Domain) -> Vec<(B256, u64, u64)> {
        let filter = Filter::new()
            .address(self.home_address(origin))
            .event_signature(Home::Checkpointed::SIGNATURE_HASH)
            .from_block(0);
        self.reader(origin)
            .get_logs(&filter)
            .await
            .expect("logs")
            .iter()
            .map(|log| {
                let event = log.log_decode::<Home::Checkpointed>().expect("event");
                (
                    event.inner.data.root,
                    u64::try_from(event.inner.data.count).expect("small"),
                    log.block_number.expect("mined"),
                )
            })
            .collect()
    }

    /// Every update signed by the updater key over `origin`'s roots that any chain shows (the
    /// Home and every Replica of the origin), as (old, new) pairs with the chain it is on.
    pub async fn signed_on_chain(&self, origin: Domain) -> Vec<(Domain, B256, B256)> {
        let mut found = Vec::new();
        let mut places = vec![(origin, self.home_address(origin))];
        for domain in self.domains() {
            if domain != origin {
                places.push((domain, self.replica_address(domain, origin)));
            }
        }
        for (domain, contract) in places {
            for (old, new, signature, _) in self.update_events(domain, contract).await {
                let signer = recover_personal(update_hash(origin, old, new), &signature)
                    .expect("valid signature");
                assert_eq!(
                    signer,
                    self.updater_signer().address(),
                    "signed by the updater key"
                );
                found.push((domain, old, new));
            }
        }
        found
    }

    /// Submits `update` to the Replica of `origin` on `on`, as the deployer (anyone may).
    pub async fn relay(&self, on: Domain, origin: Domain, update: &SignedUpdate) {
        let wallet = self.wallet(on, Role::Deployer);
        let receipt = Replica::new(self.replica_address(on, origin), &wallet)
            .update(update.old_root, update.new_root, update.signature.clone())
            .send()
            .await
            .expect("sends Replica.update")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "Replica.update succeeded");
    }

    /// Sets the bond `domain`'s Home requires, as its owner.
    pub async fn set_required_bond(&self, domain: Domain, wei: U256) {
        let wallet = self.wallet(domain, Role::Deployer);
        let receipt = Home::new(self.home_address(domain), &wallet)
            .setRequiredBond(wei)
            .send()
            .await
            .expect("sends setRequiredBond")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "setRequiredBond succeeded");
    }

    /// Checkpoints `domain`'s Home, as the deployer (anyone may).
    pub async fn checkpoint(&self, domain: Domain) {
        let wallet = self.wallet(domain, Role::Deployer);
        let receipt = Home::new(self.home_address(domain), &wallet)
            .checkpoint()
            .send()
            .await
            .expect("sends checkpoint")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "checkpoint succeeded");
    }
}

/// At most one new root per old root among `pairs`: no double update can be built from them.
pub fn assert_one_new_root_per_old_root(pairs: impl IntoIterator<Item = (B256, B256)>) {
    let mut by_old: BTreeMap<B256, BTreeSet<B256>> = BTreeMap::new();
    for (old, new) in pairs {
        by_old.entry(old).or_default().insert(new);
    }
    for (old, news) in by_old {
        assert_eq!(news.len(), 1, "double update over {old}: {news:?}");
    }
}

pub fn telemetry() -> TelemetryConfig {
    TelemetryConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        log_format: LogFormat::Plain,
        log_filter: "info".to_owned(),
    }
}

/// Reads the updates recorded in an updater database, without writing to it (no migrations:
/// the agent owns it); empty until the agent has created its tables.
pub fn recorded(db: &Path, domain: Domain) -> Vec<SignedUpdate> {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return Vec::new();
    };
    conn.busy_timeout(Duration::from_secs(5))
        .expect("sets busy timeout");
    match nxtp_updater::store::signed_updates(&conn, domain) {
        Ok(updates) => updates,
        Err(err) if err.to_string().contains("no such table") => Vec::new(),
        Err(err) => panic!("cannot read {}: {err}", db.display()),
    }
}

/// An updater running in this process.
pub struct Running {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), RunError>>,
}

impl Running {
    pub fn start(config: UpdaterConfig) -> Self {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(nxtp_agent::run_until::<Updater>(config, shutdown.clone()));
        Self { shutdown, task }
    }

    /// Stops it at whatever await it is at: every task of the agent drops its current step
    /// there, like a crash (nothing runs to a clean end).
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

/// A telemetry section on a free loopback port, and that port's address.
pub fn telemetry_on_free_port() -> (TelemetryConfig, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let mut config = telemetry();
    config.listen = addr;
    (config, addr)
}

/// `GET path` on the ops server: (status, body).
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1)?.to_owned();
    Some((status, body))
}
