//! What the messaging agents' binary tests share: anvils with the contracts deployed, the
//! built `nxtp` run as an agent process, and readers for the chains and the agents' databases.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use nxtp_bindings::{Home, Replica};
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, DevAccounts, Endpoint, Role, MANIFEST_FILE};
use nxtp_primitives::{address_to_bytes32, sign_personal, update_hash, Domain};
use nxtp_testkit::AnvilInstance;
use rusqlite::{Connection, OpenFlags};
use std::{
    collections::{BTreeMap, BTreeSet},
    fs::File,
    future::Future,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Every wait is bounded, so a stuck agent fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// One update: (old root, new root, signature).
pub type Update = (B256, B256, Bytes);

/// Anvils mining a block every 250 ms, with every messaging contract deployed and the manifest
/// written where the devnet writes it (`<dir>/manifest.json`), so the devnet's generated agent
/// configs apply as they are.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
    pub dir: tempfile::TempDir,
}

impl Net {
    pub async fn start(chains: usize) -> Self {
        let anvils: Vec<AnvilInstance> = (0..chains)
            .map(|i| {
                nxtp_testkit::anvil()
                    .chain_id(31337 + i as u64)
                    .arg("--block-time")
                    .arg("0.25")
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
        let accounts = DevAccounts::from_keys(&keys).expect("enough dev accounts");
        let manifest = deploy(&endpoints, &accounts, &DeployConfig::default())
            .await
            .expect("deploys");
        let dir = tempfile::tempdir().expect("tempdir");
        manifest
            .save(&dir.path().join(MANIFEST_FILE))
            .expect("saves manifest");
        Self {
            anvils,
            manifest,
            accounts,
            dir,
        }
    }

    pub fn run_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn domains(&self) -> Vec<Domain> {
        self.manifest.domains.keys().copied().collect()
    }

    /// Writes `config` to `<dir>/<name>.toml` and returns its path.
    pub fn write_config(&self, name: &str, config: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, config).expect("writes config");
        path
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

    pub fn home(&self, domain: Domain) -> Address {
        self.manifest.domain(domain).expect("domain").home
    }

    pub fn replica(&self, on: Domain, origin: Domain) -> Address {
        self.manifest.domain(on).expect("domain").replicas[&origin]
    }

    /// Dispatches `n` messages on `origin`, as the deployer.
    pub async fn dispatch(&self, origin: Domain, n: usize) {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        let destination = self
            .domains()
            .into_iter()
            .find(|&d| d != origin)
            .expect("another domain");
        for i in 0..n {
            let receipt = home
                .dispatch(
                    destination.get(),
                    address_to_bytes32(Address::repeat_byte(0x22)),
                    Bytes::from(format!("message {i}").into_bytes()),
                )
                .send()
                .await
                .expect("sends dispatch")
                .get_receipt()
                .await
                .expect("receipt");
            assert!(receipt.status());
        }
    }

    /// Dispatches a message, checkpoints and has the Home accept a signed update, as the
    /// updater would (sent by the deployer).
    pub async fn make_update(&self, origin: Domain) -> Update {
        self.dispatch(origin, 1).await;
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
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
        let signature = sign_personal(
            self.accounts.signer(Role::Updater),
            update_hash(origin, old, new),
        )
        .expect("signs");
        let signature = Bytes::from(signature.to_vec());
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

    /// The Home's committed root, how many messages it covers, and how many it holds.
    pub async fn home_state(&self, domain: Domain) -> (B256, u64, u64) {
        let reader = self.reader(domain);
        let home = Home::new(self.home(domain), &reader);
        let root = home.committedRoot().call().await.expect("committedRoot");
        let covered = home
            .checkpoints(root)
            .call()
            .await
            .expect("checkpoints")
            .count;
        let count = home.count().call().await.expect("count");
        (
            root,
            u64::from(covered),
            u64::try_from(count).expect("small"),
        )
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

    pub async fn replica_root(&self, on: Domain, origin: Domain) -> B256 {
        let reader = self.reader(on);
        Replica::new(self.replica(on, origin), &reader)
            .committedRoot()
            .call()
            .await
            .expect("committedRoot")
    }

    /// How many transactions `role`'s key has had mined on `domain`.
    pub async fn transactions(&self, domain: Domain, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .await
            .expect("nonce")
    }
}

/// The built `nxtp` running `<subcommand> --config <config>`, its output appended to `log`.
pub struct AgentProcess {
    /// Behind a mutex so polls can check on it through a shared reference.
    child: Mutex<Child>,
    pub log: PathBuf,
}

impl AgentProcess {
    pub fn spawn(subcommand: &str, config: &Path, log: &Path) -> Self {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("opens log");
        let err = out.try_clone().expect("clones log");
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg(subcommand)
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawns nxtp");
        Self {
            child: Mutex::new(child),
            log: log.to_owned(),
        }
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill(self) {
        let mut child = self.child();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    /// Fails the test (showing the log) if the process has exited.
    pub fn assert_running(&self) {
        let exited = self.child().try_wait().expect("try_wait");
        if let Some(status) = exited {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("the agent exited ({status}):\n{log}");
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Runs `nxtp <args>` to completion: (exit code, stderr).
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nxtp"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs nxtp");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Reads an agent's database without writing to it (no migrations: the agent owns it), with
/// `read`; `None` until the agent has created its tables.
pub fn read_db<T>(db: &Path, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(5))
        .expect("sets busy timeout");
    match read(&conn) {
        Ok(value) => Some(value),
        Err(err) if err.to_string().contains("no such table") => None,
        Err(err) => panic!("cannot read {}: {err}", db.display()),
    }
}

/// At most one new root per old root among `pairs`.
pub fn assert_one_new_root_per_old_root(pairs: impl IntoIterator<Item = (B256, B256)>) {
    let mut by_old: BTreeMap<B256, BTreeSet<B256>> = BTreeMap::new();
    for (old, new) in pairs {
        by_old.entry(old).or_default().insert(new);
    }
    for (old, news) in by_old {
        assert_eq!(news.len(), 1, "double update over {old}: {news:?}");
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
