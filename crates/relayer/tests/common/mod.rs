//! What the relayer's end-to-end tests share: two anvil chains (domain 1000, the home of `DEMO`,
//! and 2000) with half-second blocks, the messaging layer and the liquidity layer deployed by
//! the devnet's own functions, transfers sent as the demo user, the messaging layer's work done
//! by hand (signing with the updater's development key), and relayers run in this process on
//! their own runtime, so a test can crash one at any await.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt},
    sol_types::{SolCall, SolEvent},
};
use nxtp_agent::{AgentContext, CancellationToken, Health, LogFormat};
use nxtp_api::relayer::RelayerClient;
use nxtp_bindings::{Connext, DemoToken, Home, Replica};
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    deploy, deploy_liquidity, liquidity::DEMO_SYMBOL, DeployConfig, DevAccounts, Endpoint,
    LiquidityConfig, Role,
};
use nxtp_primitives::{
    sign_personal, update_hash, Domain, MerkleTree, TransferInfo, TransferStatus,
};
use nxtp_relayer::RelayerConfig;
use nxtp_testkit::AnvilInstance;
use std::{collections::BTreeMap, future::Future, path::Path, time::Duration};

/// Every wait is bounded, so a broken relayer fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(90);

pub const HOME: u32 = 1000;
pub const REMOTE: u32 = 2000;

/// The optimistic window of the Replicas, in seconds.
pub const WINDOW: u32 = 2;

/// Chains with both layers deployed, and the development accounts.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
    pub dir: tempfile::TempDir,
}

impl Net {
    pub async fn start() -> Self {
        let anvils: Vec<AnvilInstance> = (0..2u64)
            .map(|i| {
                nxtp_testkit::anvil()
                    .chain_id(31337 + i)
                    .block_time_f64(0.5)
                    .spawn()
            })
            .collect();
        let endpoints: Vec<Endpoint> = [HOME, REMOTE]
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
            optimistic_seconds: WINDOW,
            ..DeployConfig::default()
        };
        let mut manifest = deploy(&endpoints, &accounts, &config)
            .await
            .expect("messaging deploys");
        deploy_liquidity(&mut manifest, &accounts, &LiquidityConfig::default())
            .await
            .expect("liquidity deploys");
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

    /// A provider signing as `role`, filling nonces from the chain.
    pub fn wallet(&self, domain: u32, role: Role) -> DynProvider {
        ProviderBuilder::new()
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

    pub fn connext(&self, domain: u32) -> Address {
        self.manifest
            .liquidity(Domain(domain))
            .expect("liquidity layer")
            .connext
    }

    pub fn demo(&self, domain: u32) -> Address {
        self.manifest
            .liquidity(Domain(domain))
            .expect("liquidity layer")
            .assets[DEMO_SYMBOL]
            .local
    }

    /// The Replica of `origin` on `destination`.
    pub fn replica(&self, destination: u32, origin: u32) -> Address {
        self.manifest.domains[&Domain(destination)].replicas[&Domain(origin)]
    }

    /// The relayer's configuration for this net, as the devnet generates it, with its
    /// database at `db`.
    pub fn relayer_config(&self, db: &Path) -> RelayerConfig {
        let listen = "127.0.0.1:0".parse().expect("address");
        let text = nxtp_devnet::relayer_agent::config_toml(&self.manifest, self.dir.path(), listen)
            .expect("the manifest has the relayer's key");
        let mut config: RelayerConfig = toml::from_str(&text).expect("the generated config loads");
        config.database = db.to_owned();
        config
    }

    pub fn db_path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Transactions `role`'s account has sent on `domain`, mined or not.
    pub async fn sent_txs(&self, domain: u32, role: Role) -> u64 {
        self.reader(domain)
            .get_transaction_count(self.accounts.address(role))
            .pending()
            .await
            .expect("pending nonce")
    }

    pub async fn balance(&self, domain: u32, holder: Address) -> U256 {
        DemoToken::new(self.demo(domain), self.reader(domain))
            .balanceOf(holder)
            .call()
            .await
            .expect("balanceOf")
    }

    pub async fn status(&self, domain: u32, transfer_id: B256) -> TransferStatus {
        let raw = Connext::new(self.connext(domain), self.reader(domain))
            .transferStatus(transfer_id)
            .call()
            .await
            .expect("transferStatus");
        TransferStatus::try_from(raw).expect("a known status")
    }

    /// Stops (`false`) or restarts (`true`) block production on `domain`.
    pub async fn mining(&self, domain: u32, on: bool) {
        let seconds: u64 = if on { 1 } else { 0 };
        let _: serde_json::Value = self
            .reader(domain)
            .raw_request("evm_setIntervalMining".into(), (seconds,))
            .await
            .expect("evm_setIntervalMining");
    }

    /// The user sends `amount` of `DEMO` from `origin` to `to` on `destination`; returns the
    /// transfer and its message (as dispatched by the origin's Home) with its leaf index.
    pub async fn xcall(
        &self,
        origin: u32,
        destination: u32,
        to: Address,
        amount: U256,
    ) -> (TransferInfo, Bytes, u32) {
        let wallet = self.wallet(origin, Role::User);
        let token = DemoToken::new(self.demo(origin), &wallet);
        confirm(
            token
                .approve(self.connext(origin), amount)
                .send()
                .await
                .expect("approve"),
        )
        .await;
        let receipt = confirm(
            Connext::new(self.connext(origin), &wallet)
                .xcall(
                    destination,
                    to,
                    self.demo(origin),
                    self.accounts.address(Role::User),
                    amount,
                    U256::from(100),
                    Bytes::new(),
                    U256::ZERO,
                )
                .send()
                .await
                .expect("xcall"),
        )
        .await;
        let params = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Connext::XCalled>().ok())
            .expect("XCalled")
            .inner
            .data
            .params;
        let dispatch = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Home::Dispatch>().ok())
            .expect("Dispatch")
            .inner
            .data;
        (
            params.into(),
            dispatch.message,
            dispatch.leafIndex.to::<u32>(),
        )
    }

    /// What the updater and the message relayer do for `origin`'s Home towards `destination`,
    /// then waiting out the window and proving `index`: afterwards `Replica.process` of the
    /// message at `index` can deliver it.
    pub async fn prove(&self, origin: u32, destination: u32, index: u32) {
        let home_wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.manifest.domains[&Domain(origin)].home, &home_wallet);
        confirm(home.checkpoint().send().await.expect("checkpoint")).await;
        let new = home.root().call().await.expect("root");
        let old = home.committedRoot().call().await.expect("committedRoot");
        let signature = sign_personal(
            self.accounts.signer(Role::Updater),
            update_hash(Domain(origin), old, new),
        )
        .expect("signs");
        let signature = Bytes::copy_from_slice(&signature);
        confirm(
            home.update(old, new, signature.clone())
                .send()
                .await
                .expect("Home.update"),
        )
        .await;
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
        let reader = self.reader(destination);
        eventually("the root to become acceptable", || async {
            Replica::new(self.replica(destination, origin), &reader)
                .acceptableRoot(new)
                .call()
                .await
                .expect("acceptableRoot")
        })
        .await;

        let tree = self.tree(origin).await;
        assert_eq!(tree.root(), new, "the tree holds every dispatched leaf");
        let proof = tree.proof(index).expect("in the tree");
        confirm(
            replica
                .prove(proof.leaf, proof.path, U256::from(index))
                .send()
                .await
                .expect("prove"),
        )
        .await;
    }

    /// `origin`'s Home tree, from its `Dispatch` events.
    async fn tree(&self, origin: u32) -> MerkleTree {
        let filter = Filter::new()
            .address(self.manifest.domains[&Domain(origin)].home)
            .event_signature(Home::Dispatch::SIGNATURE_HASH)
            .from_block(0);
        let mut tree = MerkleTree::new();
        for log in self.reader(origin).get_logs(&filter).await.expect("logs") {
            let event = log
                .log_decode::<Home::Dispatch>()
                .expect("Dispatch")
                .inner
                .data;
            tree.insert(alloy::primitives::keccak256(&event.message))
                .expect("room");
        }
        tree
    }

    /// A relayer with a fresh database named `name`, and a client of it.
    pub fn relayer(&self, name: &str) -> (RelayerProcess, RelayerClient) {
        let process = RelayerProcess::start(self.relayer_config(&self.db_path(name)));
        let client = process.client();
        (process, client)
    }
}

/// `Connext.execute` calldata of the slow path of `params`.
pub fn slow_execute(params: &TransferInfo) -> Bytes {
    Connext::executeCall {
        args: Connext::ExecuteArgs {
            params: params.clone().into(),
            routers: vec![],
            routerSignatures: vec![],
            sequencer: Address::ZERO,
            sequencerSignature: Bytes::new(),
        },
    }
    .abi_encode()
    .into()
}

/// `Replica.process` calldata of `message`.
pub fn process(message: &Bytes) -> Bytes {
    Replica::processCall {
        message: message.clone(),
    }
    .abi_encode()
    .into()
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

/// Polls `check` every 100 ms until it holds; panics after [`TIMEOUT`] with `what`.
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A relayer on its own runtime and threads, as a process of its own: [`Self::crash`] drops it
/// without any shutdown, every task stopping at whatever await it was at.
pub struct RelayerProcess {
    runtime: Option<tokio::runtime::Runtime>,
    addr: std::net::SocketAddr,
    pub metrics: nxtp_agent::prometheus::Registry,
    pub health: Health,
    shutdown: CancellationToken,
    outcome: Option<tokio::task::JoinHandle<Result<(), nxtp_relayer::RelayerError>>>,
}

impl RelayerProcess {
    pub fn start(config: RelayerConfig) -> Self {
        // Agent logs, shown by the test runner when a test fails.
        let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("address");
        let metrics = nxtp_agent::prometheus::Registry::new();
        let health = Health::new();
        let shutdown = CancellationToken::new();
        let ctx = AgentContext {
            shutdown: shutdown.clone(),
            health: health.clone(),
            metrics: metrics.clone(),
            ops_addr: addr,
        };
        let outcome = runtime.spawn(nxtp_relayer::serve(config, ctx, listener));
        Self {
            runtime: Some(runtime),
            addr,
            metrics,
            health,
            shutdown,
            outcome: Some(outcome),
        }
    }

    pub fn client(&self) -> RelayerClient {
        RelayerClient::new(format!("http://{}", self.addr).parse().expect("url")).expect("client")
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The value of counter `name` with exactly `labels`, 0 if never counted.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.metrics
            .gather()
            .iter()
            .filter(|family| family.name() == name)
            .flat_map(|family| family.get_metric().iter())
            .filter(|metric| {
                let found: BTreeMap<&str, &str> = metric
                    .get_label()
                    .iter()
                    .map(|label| (label.name(), label.value()))
                    .collect();
                found == labels.iter().copied().collect()
            })
            .map(|metric| metric.get_counter().get_value() as u64)
            .sum()
    }

    /// Kills it at whatever it was doing.
    pub fn crash(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Stops it gracefully and checks it ran without error.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let outcome = self.outcome.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), outcome)
            .await
            .expect("stops in time")
            .expect("did not panic")
            .expect("ran without error");
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
