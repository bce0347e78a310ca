//! What the processor's end-to-end tests share: anvil chains with one-second blocks, the
//! messaging contracts deployed by `nxtp_devnet::deploy`, and the updater's and relayer's jobs
//! done by hand (signing with the updater's development key).

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt},
    sol_types::SolEvent,
};
use nxtp_agent::CancellationToken;
use nxtp_bindings::{Home, RecordingRecipient, Replica};
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, DevAccounts, Endpoint, Role, RECORDING_RECIPIENT};
use nxtp_primitives::{address_to_bytes32, sign_personal, update_hash, Domain, Message};
use nxtp_processor::{Processor, ProcessorConfig};
use nxtp_testkit::AnvilInstance;
use std::{
    future::Future,
    path::{Path, PathBuf},
    time::Duration,
};

/// Every wait is bounded, so a broken agent fails the test instead of hanging it.
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

    pub fn rpc_url(&self, domain: u32) -> String {
        self.manifest.domains[&Domain(domain)].rpc_url.clone()
    }

    /// A provider signing as `role`, counting nonces locally so transactions can be sent
    /// back to back.
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

    /// Dispatches one message per `(destination, body)` on `origin` to each destination's
    /// recording recipient, all sent at once; returns the messages in leaf order.
    pub async fn dispatch(&self, origin: u32, sends: &[(u32, String)]) -> Vec<Message> {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        let mut pending = Vec::new();
        for (destination, body) in sends {
            pending.push(
                home.dispatch(
                    *destination,
                    address_to_bytes32(self.recipient(*destination)),
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
            messages.push((
                event.leafIndex,
                Message::decode(&event.message).expect("decodes"),
            ));
        }
        messages.sort_by_key(|(index, _)| *index);
        messages.into_iter().map(|(_, message)| message).collect()
    }

    /// Checkpoints `origin`'s Home and returns `(old committed root, new root)`.
    pub async fn checkpoint(&self, origin: u32) -> (B256, B256) {
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        confirm(home.checkpoint().send().await.expect("checkpoint")).await;
        let new = home.root().call().await.expect("root");
        let old = home.committedRoot().call().await.expect("committedRoot");
        (old, new)
    }

    /// The updater's signature of `origin` moving from `old` to `new`.
    pub fn sign_update(&self, origin: u32, old: B256, new: B256) -> Bytes {
        let signature = sign_personal(
            self.accounts.signer(Role::Updater),
            update_hash(Domain(origin), old, new),
        )
        .expect("signs");
        Bytes::copy_from_slice(&signature)
    }

    /// What the updater and the message relayer do: checkpoint, sign, update the Home, copy
    /// the update to `origin`'s Replica on each of `destinations`. Returns the new root and,
    /// per destination, when it becomes acceptable there.
    pub async fn honest_update(&self, origin: u32, destinations: &[u32]) -> (B256, Vec<u64>) {
        let (old, new) = self.checkpoint(origin).await;
        let signature = self.sign_update(origin, old, new);
        let wallet = self.wallet(origin, Role::Deployer);
        confirm(
            Home::new(self.home(origin), &wallet)
                .update(old, new, signature.clone())
                .send()
                .await
                .expect("Home.update"),
        )
        .await;
        let mut confirm_at = Vec::new();
        for &destination in destinations {
            let at = self
                .relay(destination, origin, old, new, signature.clone())
                .await;
            confirm_at.push(at);
        }
        (new, confirm_at)
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

    /// How many messages the recording recipient on `domain` handled.
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

    pub async fn set_rejecting(&self, domain: u32, rejecting: bool) {
        let wallet = self.wallet(domain, Role::Deployer);
        confirm(
            RecordingRecipient::new(self.recipient(domain), &wallet)
                .setRejecting(rejecting)
                .send()
                .await
                .expect("setRejecting"),
        )
        .await;
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

    /// The processor's config for this net (as the devnet generates it), with its database in
    /// `db` and quick retries.
    pub fn processor_config(&self, db: &Path) -> ProcessorConfig {
        let text = nxtp_devnet::processor_agent::config_toml(&self.manifest, self.dir.path())
            .expect("the manifest has the processor's key");
        let mut config: ProcessorConfig =
            toml::from_str(&text).expect("the generated config loads");
        config.database = db.to_owned();
        config.retry.base = Duration::from_millis(500);
        config.retry.max = Duration::from_secs(2);
        config
    }

    pub fn db_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `(leaf index, block)` of every `event` log of `origin`'s Replica on `destination`.
    pub async fn replica_events<E: SolEvent>(
        &self,
        destination: u32,
        origin: u32,
    ) -> Vec<(u64, u64)> {
        let filter = Filter::new()
            .address(self.replica(destination, origin))
            .event_signature(E::SIGNATURE_HASH)
            .from_block(0);
        self.reader(destination)
            .get_logs(&filter)
            .await
            .expect("logs")
            .iter()
            .map(|log| {
                let index = U256::from_be_bytes(log.topics()[2].0).to::<u64>();
                (index, log.block_number.expect("mined"))
            })
            .collect()
    }

    /// The first block on `domain` whose timestamp is at least `at`.
    pub async fn first_block_at(&self, domain: u32, at: u64) -> u64 {
        let reader = self.reader(domain);
        let head = reader.get_block_number().await.expect("head");
        let mut number = head;
        // Walk back from the head: tests look at the last minute or so.
        while number > 0 {
            let block = reader
                .get_block_by_number((number - 1).into())
                .await
                .expect("block")
                .expect("exists");
            if block.header.timestamp < at {
                break;
            }
            number -= 1;
        }
        number
    }
}

/// Waits for a sent transaction and checks it succeeded.
pub async fn confirm(
    pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
) -> TransactionReceipt {
    let receipt = pending
        .with_timeout(Some(Duration::from_secs(30)))
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "transaction succeeded");
    receipt
}

/// Polls `check` every 200 ms until it holds; panics after [`TIMEOUT`] with `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A processor running in this process until stopped.
pub struct Running {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), nxtp_agent::RunError>>,
}

impl Running {
    pub fn start(config: ProcessorConfig) -> Self {
        // Agent logs, shown by the test runner when a test fails.
        let _ = nxtp_agent::logging::init_logging(nxtp_agent::LogFormat::Plain, "info");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(nxtp_agent::run_until::<Processor>(config, shutdown.clone()));
        Self { shutdown, task }
    }

    /// Stops it gracefully and checks it had not failed.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("stops in time")
            .expect("did not panic")
            .expect("ran without error");
    }
}

/// A processor on its own runtime and thread, which [`Crashable::crash`] drops without any
/// shutdown: every task stops at whatever await it was at, as in a process killed there.
pub struct Crashable {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Crashable {
    pub fn start(config: ProcessorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.spawn(nxtp_agent::run_until::<Processor>(
            config,
            CancellationToken::new(),
        ));
        Self {
            runtime: Some(runtime),
        }
    }

    pub fn crash(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Crashable {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
