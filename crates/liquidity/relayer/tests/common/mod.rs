//! What the relayer's end-to-end tests share: the `nxtp_testnet` net on two chains (domain 1000,
//! the home of `DEMO`, and 2000) with half-second blocks and both layers deployed, transfers sent
//! as the demo user, the messaging layer's work done by hand (signing with the updater's
//! development key), and relayers run in this process on their own runtime, so a test can crash
//! one at any await.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use nxtp_agent::{AgentContext, CancellationToken, Health, LogFormat};
use nxtp_api::relayer::RelayerClient;
use nxtp_bindings::{Connext, DemoToken, Home, Replica};
use nxtp_devnet::{LiquidityConfig, Role};
use nxtp_primitives::{MerkleTree, TransferInfo, TransferStatus};
use nxtp_relayer::RelayerConfig;
use nxtp_testnet::{confirm, Mining, Options, TestNet};
use std::{collections::BTreeMap, ops::Deref, path::Path, time::Duration};

pub use nxtp_testnet::eventually;

pub const HOME: u32 = 1000;
pub const REMOTE: u32 = 2000;

/// The optimistic window of the Replicas, in seconds.
pub const WINDOW: u32 = 2;

/// Chains with both layers deployed, and the development accounts.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// Two chains with half-second blocks and a [`WINDOW`]-second optimistic window, both layers
    /// deployed as the devnet deploys them.
    pub async fn start() -> Self {
        let options = Options::new(&[HOME, REMOTE])
            .mining(Mining::every_ms(500))
            .optimistic_seconds(WINDOW)
            .liquidity(LiquidityConfig::default());
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// The relayer's configuration for this net, as the devnet generates it, with its
    /// database at `db`.
    pub fn relayer_config(&self, db: &Path) -> RelayerConfig {
        let listen = "127.0.0.1:0".parse().expect("address");
        let text = nxtp_devnet::relayer_agent::config_toml(
            &self.manifest,
            self.dir(),
            listen,
            &nxtp_devnet::AgentOptions::default(),
        )
        .expect("the manifest has the relayer's key");
        let mut config: RelayerConfig = toml::from_str(&text).expect("the generated config loads");
        config.database = db.to_owned();
        config
    }

    pub async fn balance(&self, domain: u32, holder: Address) -> U256 {
        DemoToken::new(self.demo_on(domain), self.reader(domain))
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
        let token = DemoToken::new(self.demo_on(origin), &wallet);
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
                    self.demo_on(origin),
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
        let (old, new, signature) = self.update_home(origin).await;
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
            .address(self.home(origin))
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
        let process = RelayerProcess::start(self.relayer_config(&self.path(name)));
        let client = process.client();
        (process, client)
    }
}

/// `Replica.process` calldata of `message`.
pub fn process(message: &Bytes) -> Bytes {
    Replica::processCall {
        message: message.clone(),
    }
    .abi_encode()
    .into()
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
