//! What the processor's and the watcher's binary tests share: anvils with one-second blocks and
//! the messaging contracts deployed, the updater's and relayer's jobs done by hand, and the built
//! `nxtp` run as an agent process that can be SIGKILLed.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use nxtp_bindings::{Home, RecordingRecipient, Replica};
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, DevAccounts, Endpoint, Role, RECORDING_RECIPIENT};
use nxtp_primitives::{address_to_bytes32, sign_personal, update_hash, Domain, Message};
use nxtp_testkit::AnvilInstance;
use std::{
    fs::File,
    future::Future,
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Every wait is bounded, so a stuck agent fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// Chains with the messaging contracts, and the development accounts.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
    pub dir: tempfile::TempDir,
}

impl Net {
    /// One anvil per domain (one-second blocks), everything deployed with a `window`-second
    /// optimistic window.
    pub async fn start(domains: &[u32], window: u32) -> Self {
        let anvil = nxtp_toolchain::anvil_in(&nxtp_toolchain::build_root());
        let anvils: Vec<AnvilInstance> = (0..domains.len())
            .map(|i| {
                nxtp_testkit::Anvil::at(&anvil)
                    .arg("--host")
                    .arg("127.0.0.1")
                    .chain_id(31337 + i as u64)
                    .block_time(1)
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
        let accounts = DevAccounts::from_keys(&keys).expect("enough development keys");
        let config = DeployConfig {
            optimistic_seconds: window,
            ..DeployConfig::default()
        };
        let manifest = deploy(&endpoints, &accounts, &config)
            .await
            .expect("deploys");
        Self {
            anvils,
            manifest,
            accounts,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn run_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` as `<name>.toml` in the run folder.
    pub fn write_config(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("writes config");
        path
    }

    fn rpc_url(&self, domain: u32) -> String {
        self.manifest.domains[&Domain(domain)].rpc_url.clone()
    }

    /// A provider signing as `role`, counting nonces locally.
    pub fn wallet(&self, domain: u32, role: Role) -> DynProvider {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_cached_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(self.accounts.signer(role).clone()))
            .connect_http(self.rpc_url(domain).parse().expect("url"))
            .erased()
    }

    pub fn reader(&self, domain: u32) -> DynProvider {
        ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(self.rpc_url(domain).parse().expect("url"))
            .erased()
    }

    pub fn home(&self, domain: u32) -> Address {
        self.manifest.domains[&Domain(domain)].home
    }

    /// The Replica of `origin` on `destination`.
    pub fn replica(&self, destination: u32, origin: u32) -> Address {
        self.manifest.domains[&Domain(destination)].replicas[&Domain(origin)]
    }

    pub fn recipient(&self, domain: u32) -> Address {
        self.manifest.domains[&Domain(domain)].contracts[RECORDING_RECIPIENT]
    }

    /// Dispatches `bodies` on `origin` to the recording recipient on `destination`, all at once;
    /// returns the messages.
    pub async fn dispatch(&self, origin: u32, destination: u32, bodies: &[String]) -> Vec<Message> {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        let mut pending = Vec::new();
        for body in bodies {
            pending.push(
                home.dispatch(
                    destination,
                    address_to_bytes32(self.recipient(destination)),
                    Bytes::from(body.clone().into_bytes()),
                )
                .send()
                .await
                .expect("sends dispatch"),
            );
        }
        let mut messages = Vec::new();
        for sent in pending {
            let receipt = sent.get_receipt().await.expect("dispatch receipt");
            assert!(receipt.status(), "dispatch succeeded");
            let event = receipt
                .inner
                .logs()
                .iter()
                .find_map(|log| log.log_decode::<Home::Dispatch>().ok())
                .expect("Dispatch event")
                .inner
                .data;
            messages.push(Message::decode(&event.message).expect("decodes"));
        }
        messages
    }

    pub fn sign_update(&self, origin: u32, old: B256, new: B256) -> Bytes {
        let signature = sign_personal(
            self.accounts.signer(Role::Updater),
            update_hash(Domain(origin), old, new),
        )
        .expect("signs");
        Bytes::copy_from_slice(&signature)
    }

    /// Checkpoints `origin`'s Home, signs the move to the new root, updates the Home and relays
    /// the update to the Replica on `destination`; returns when it becomes acceptable there.
    pub async fn honest_update(&self, origin: u32, destination: u32) -> u64 {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        confirm(home.checkpoint().send().await.expect("checkpoint")).await;
        let new = home.root().call().await.expect("root");
        let old = home.committedRoot().call().await.expect("committedRoot");
        let signature = self.sign_update(origin, old, new);
        confirm(
            home.update(old, new, signature.clone())
                .send()
                .await
                .expect("Home.update"),
        )
        .await;
        self.relay(destination, origin, old, new, signature).await
    }

    /// Submits a signed update to `origin`'s Replica on `destination`; returns its `confirmAt`.
    pub async fn relay(
        &self,
        destination: u32,
        origin: u32,
        old: B256,
        new: B256,
        signature: Bytes,
    ) -> u64 {
        let wallet = self.wallet(destination, Role::MessageRelayer);
        let replica = Replica::new(self.replica(destination, origin), &wallet);
        confirm(
            replica
                .update(old, new, signature)
                .send()
                .await
                .expect("Replica.update"),
        )
        .await;
        replica
            .confirmAt(new)
            .call()
            .await
            .expect("confirmAt")
            .to::<u64>()
    }

    pub async fn handled(&self, domain: u32) -> u64 {
        RecordingRecipient::new(self.recipient(domain), self.reader(domain))
            .handledCount()
            .call()
            .await
            .expect("handledCount")
            .to::<u64>()
    }

    /// How many times the recipient on the message's destination handled it.
    pub async fn times_handled(&self, message: &Message) -> u64 {
        let destination = message.destination.get();
        let fields = alloy::sol_types::SolValue::abi_encode_params(&(
            message.origin.get(),
            message.nonce,
            message.sender,
            Bytes::copy_from_slice(&message.body),
        ));
        RecordingRecipient::new(self.recipient(destination), self.reader(destination))
            .timesHandled(alloy::primitives::keccak256(fields))
            .call()
            .await
            .expect("timesHandled")
            .to::<u64>()
    }

    /// Transactions `role`'s account has had mined on `domain`.
    pub async fn mined_txs(&self, domain: u32, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .await
            .expect("nonce")
    }

    /// Transactions `role`'s account has sent on `domain`, mined or not.
    pub async fn sent_txs(&self, domain: u32, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .pending()
            .await
            .expect("pending nonce")
    }

    /// The latest block's timestamp on `domain`.
    pub async fn chain_time(&self, domain: u32) -> u64 {
        self.reader(domain)
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("head")
            .expect("exists")
            .header
            .timestamp
    }
}

/// Waits for a sent transaction and checks it succeeded.
pub async fn confirm(
    pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
) {
    let receipt = pending
        .with_timeout(Some(Duration::from_secs(30)))
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "transaction succeeded");
}

/// Polls `check` every 200 ms until it holds; panics after [`TIMEOUT`] with `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + TIMEOUT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The built `nxtp` running one agent, its output appended to a log file. Killed (SIGKILL) when
/// dropped.
pub struct AgentProcess {
    child: Child,
    log: PathBuf,
}

impl AgentProcess {
    /// `nxtp <subcommand> --config <config>` with `env` set.
    pub fn spawn(subcommand: &str, config: &Path, log: &Path, env: &[(&str, &str)]) -> Self {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("opens the log");
        let err = out.try_clone().expect("clones the log");
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg(subcommand)
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawns nxtp");
        Self {
            child,
            log: log.to_owned(),
        }
    }

    /// SIGKILL: no shutdown, no flushing, whatever the agent was doing.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Panics with the log if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("the agent exited ({status}):\n{}", self.log_text());
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The ops server's address, from the newest "agent started" line of the log.
    pub async fn ops_addr(&self) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let log = self.log_text();
            if let Some(addr) = log
                .lines()
                .rev()
                .find(|line| line.contains("agent started"))
                .and_then(|line| line.split("ops_addr=").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
            {
                return addr.to_owned();
            }
            assert!(Instant::now() < deadline, "no ops address in:\n{log}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `addr`: the status code and the body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects to the ops server");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("header end");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    (status, body.to_owned())
}

/// Runs `nxtp <args>` to its exit: the exit code and stderr.
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
