//! What the sequencer's end-to-end tests share: two anvil chains (one-second blocks, so a
//! confirmation depth of one block means something) with the messaging and liquidity layers
//! deployed by `nxtp-devnet`, a stand-in relayer, and the sequencer run in-process.

#![allow(dead_code, unreachable_pub)]

pub mod relayer_stub;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use nxtp_agent::{prometheus::Registry, AgentContext, CancellationToken, Health};
use nxtp_api::sequencer::{BidRequest, SequencerClient, TransferView};
use nxtp_bindings::Connext;
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    deploy, deploy_liquidity, DeployConfig, DevAccounts, Endpoint, LiquidityConfig, Role,
};
use nxtp_primitives::{router_bid_hash, sign_personal, Domain};
use nxtp_sequencer::{SequencerConfig, SequencerError};
use nxtp_testkit::AnvilInstance;
use std::{future::Future, net::SocketAddr, path::Path, time::Duration};
use tokio::{net::TcpListener, task::JoinHandle};

/// Every wait is bounded, so a broken sequencer fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// The home domain of `DEMO`, where the routers hold liquidity.
pub const HOME: Domain = Domain(1000);
/// The other domain.
pub const REMOTE: Domain = Domain(2000);

/// The native relayer fee the tests' sequencer quotes: 0.001 ETH.
pub const QUOTE: u64 = 1_000_000_000_000_000;

/// Chains with both layers deployed, and the development accounts.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
}

impl Net {
    pub async fn start() -> Self {
        let anvils: Vec<AnvilInstance> = (0..2)
            .map(|i| {
                nxtp_testkit::anvil()
                    .chain_id(31337 + i)
                    .block_time(1)
                    .spawn()
            })
            .collect();
        let endpoints: Vec<Endpoint> = [HOME, REMOTE]
            .into_iter()
            .zip(&anvils)
            .map(|(domain, anvil)| Endpoint {
                domain,
                rpc_url: anvil.endpoint(),
            })
            .collect();
        let keys: Vec<B256> = anvils[0]
            .keys()
            .iter()
            .map(|key| B256::from_slice(&key.to_bytes()))
            .collect();
        let accounts = DevAccounts::from_keys(&keys).expect("enough development keys");
        let mut manifest = deploy(&endpoints, &accounts, &DeployConfig::default())
            .await
            .expect("messaging deploys");
        deploy_liquidity(&mut manifest, &accounts, &LiquidityConfig::default())
            .await
            .expect("liquidity deploys");
        Self {
            anvils,
            manifest,
            accounts,
        }
    }

    pub fn signer(&self, role: Role) -> PrivateKeySigner {
        self.accounts.signer(role).clone()
    }

    pub fn connext(&self, domain: Domain) -> Address {
        self.manifest.liquidity(domain).expect("liquidity").connext
    }

    pub fn demo_on(&self, domain: Domain) -> Address {
        self.manifest.liquidity(domain).expect("liquidity").assets["DEMO"].local
    }

    /// A provider signing as `role`, filling nonce, gas and chain id.
    pub fn wallet(&self, domain: Domain, role: Role) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(self.signer(role)))
            .connect_http(self.manifest.domains[&domain].rpc_url.parse().expect("url"))
            .erased()
    }

    pub fn reader(&self, domain: Domain) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.manifest.domains[&domain].rpc_url.parse().expect("url"))
            .erased()
    }

    /// The sequencer's config for this net: every domain at one confirmation, the database in
    /// `dir`, jobs to `relayer_url`.
    pub fn sequencer_config(
        &self,
        dir: &Path,
        relayer_url: &str,
        window_ms: u64,
    ) -> SequencerConfig {
        let mut text = format!(
            "database = {database:?}\nsigner = {{ hex = \"{key}\" }}\napi_listen = \"127.0.0.1:0\"\n\
             auction_window_ms = {window_ms}\nrelayer_url = \"{relayer_url}\"\n\
             [quotes]\ndefault_relayer_fee = \"{QUOTE}\"\n[telemetry]\nlisten = \"127.0.0.1:0\"\n",
            database = dir.join("sequencer.sqlite").display().to_string(),
            key = self.manifest.dev_keys["sequencer"],
        );
        for (domain, deployment) in &self.manifest.domains {
            text.push_str(&format!(
                "[domains.{domain}]\nconnext = \"{connext}\"\nstart_block = {start}\n\
                 [domains.{domain}.chain]\nrpc_url = \"{rpc}\"\nchain_id = {chain_id}\n\
                 confirmations = 1\npoll_interval_ms = 100\n",
                connext = self.connext(*domain),
                start = deployment.deploy_block,
                rpc = deployment.rpc_url,
                chain_id = deployment.chain_id,
            ));
        }
        toml::from_str(&text).expect("valid sequencer config")
    }

    /// `xcall` as the user from `origin` to `destination` paying `fee` wei, of `amount` of
    /// `asset` (zero: a transfer without tokens); returns the transfer id.
    pub async fn xcall(
        &self,
        origin: Domain,
        destination: Domain,
        asset: Address,
        amount: U256,
        fee: U256,
    ) -> B256 {
        let wallet = self.wallet(origin, Role::User);
        let connext = Connext::new(self.connext(origin), &wallet);
        let user = self.accounts.address(Role::User);
        let receipt = connext
            .xcall(
                destination.get(),
                user,
                asset,
                Address::ZERO,
                amount,
                U256::from(100),
                Bytes::new(),
                U256::ZERO,
            )
            .value(fee)
            .send()
            .await
            .expect("sends xcall")
            .get_receipt()
            .await
            .expect("xcall receipt");
        assert!(receipt.status(), "xcall succeeded");
        receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Connext::XCalled>().ok())
            .expect("XCalled event")
            .inner
            .data
            .transferId
    }

    /// The next transfer's nonce on `origin`.
    pub async fn next_nonce(&self, origin: Domain) -> u64 {
        Connext::new(self.connext(origin), self.reader(origin))
            .nonce()
            .call()
            .await
            .expect("nonce")
    }
}

/// `signer`'s bid as `router` (itself, unless forging) on `transfer_id` for `lengths`.
pub fn bid(
    signer: &PrivateKeySigner,
    router: Address,
    transfer_id: B256,
    lengths: &[u32],
) -> BidRequest {
    let signatures = lengths
        .iter()
        .map(|&n| {
            let signature =
                sign_personal(signer, router_bid_hash(transfer_id, n as usize)).expect("signs");
            (n, Bytes::copy_from_slice(&signature))
        })
        .collect();
    BidRequest {
        router,
        transfer_id,
        signatures,
    }
}

/// A sequencer running in this process.
pub struct Running {
    pub client: SequencerClient,
    pub addr: SocketAddr,
    pub metrics: Registry,
    pub health: Health,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), SequencerError>>,
}

impl Running {
    pub async fn start(config: SequencerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("address");
        let shutdown = CancellationToken::new();
        let ctx = AgentContext {
            shutdown: shutdown.clone(),
            health: Health::new(),
            metrics: Registry::new(),
            ops_addr: "127.0.0.1:0".parse().expect("address"),
        };
        let (metrics, health) = (ctx.metrics.clone(), ctx.health.clone());
        let task = tokio::spawn(nxtp_sequencer::run_with_listener(config, ctx, listener));
        let client =
            SequencerClient::new(format!("http://{addr}").parse().expect("url")).expect("client");
        Self {
            client,
            addr,
            metrics,
            health,
            shutdown,
            task,
        }
    }

    /// Stops the sequencer and checks it stopped cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(TIMEOUT, self.task)
            .await
            .expect("stops in time")
            .expect("no panic")
            .expect("clean stop");
    }

    /// The sequencer's view of `transfer_id`, once it has one.
    pub async fn view(&self, transfer_id: B256) -> Option<TransferView> {
        self.client.transfer(transfer_id).await.ok()
    }

    /// Waits until the view of `transfer_id` satisfies `done`.
    pub async fn wait_for(
        &self,
        transfer_id: B256,
        what: &str,
        done: impl Fn(&TransferView) -> bool,
    ) -> TransferView {
        until(what, || async {
            self.view(transfer_id).await.filter(|view| done(view))
        })
        .await
    }

    /// The value of a counter family's series, summed.
    pub fn counter(&self, name: &str) -> f64 {
        self.metrics
            .gather()
            .iter()
            .filter(|family| family.name() == name)
            .flat_map(|family| {
                family
                    .get_metric()
                    .iter()
                    .map(|metric| metric.get_counter().get_value())
            })
            .sum()
    }
}

/// Polls `check` until it returns something, failing the test after [`TIMEOUT`].
pub async fn until<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
