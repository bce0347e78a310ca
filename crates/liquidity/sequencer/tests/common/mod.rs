//! What the sequencer's end-to-end tests share: the `nxtp_testnet` net on two chains (one-second
//! blocks, so a confirmation depth of one block means something) with the messaging and liquidity
//! layers deployed, a stand-in relayer, and the sequencer run in-process.

#![allow(dead_code, unreachable_pub)]

pub mod relayer_stub;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_agent::{prometheus::Registry, AgentContext, CancellationToken, Health};
use nxtp_api::sequencer::{BidRequest, SequencerClient, TransferView};
use nxtp_bindings::Connext;
use nxtp_devnet::{LiquidityConfig, Role};
use nxtp_primitives::{sign_digest, ConnextSigningDomain, Domain};
use nxtp_sequencer::{SequencerConfig, SequencerError};
use nxtp_testnet::{Mining, Options, TestNet, TIMEOUT};
use std::{net::SocketAddr, ops::Deref};
use tokio::{net::TcpListener, task::JoinHandle};

pub use nxtp_testnet::eventually;

/// The home domain of `DEMO`, where the routers hold liquidity.
pub const HOME: Domain = Domain(1000);
/// The other domain.
pub const REMOTE: Domain = Domain(2000);

/// The native relayer fee the tests' sequencer quotes: 0.001 ETH.
pub const QUOTE: u64 = 1_000_000_000_000_000;

/// Chains with both layers deployed, and the development accounts.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// Two chains with one-second blocks, both layers deployed as the devnet deploys them.
    pub async fn start() -> Self {
        let options = Options::new(&[HOME.get(), REMOTE.get()])
            .mining(Mining::every_ms(1000))
            .liquidity(LiquidityConfig::default());
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    pub fn signer(&self, role: Role) -> PrivateKeySigner {
        self.accounts.signer(role).clone()
    }

    /// The sequencer's config for this net: every domain at one confirmation, jobs to
    /// `relayer_url`.
    pub fn sequencer_config(&self, relayer_url: &str, window_ms: u64) -> SequencerConfig {
        self.sequencer_config_toml(&format!("relayer_url = \"{relayer_url}\""), window_ms)
    }

    /// The sequencer's config for this net with jobs to the relayers at `urls`, in that order.
    pub fn sequencer_config_with_relayers(&self, urls: &[&str], window_ms: u64) -> SequencerConfig {
        let list: Vec<String> = urls.iter().map(|url| format!("\"{url}\"")).collect();
        let relayers = format!("relayer_urls = [{}]", list.join(", "));
        self.sequencer_config_toml(&relayers, window_ms)
    }

    fn sequencer_config_toml(&self, relayers: &str, window_ms: u64) -> SequencerConfig {
        let mut text = format!(
            "database = {database:?}\nsigner = {{ hex = \"{key}\" }}\napi_listen = \"127.0.0.1:0\"\n\
             auction_window_ms = {window_ms}\n{relayers}\n\
             [quotes]\ndefault_relayer_fee = \"{QUOTE}\"\n[telemetry]\nlisten = \"127.0.0.1:0\"\n",
            database = self.path("sequencer.sqlite").display().to_string(),
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

/// `signer`'s bid as `router` (itself, unless forging) on `transfer_id` for `lengths`, signed for
/// the destination `Connext` whose EIP-712 domain is `destination`.
pub fn bid(
    destination: &ConnextSigningDomain,
    signer: &PrivateKeySigner,
    router: Address,
    transfer_id: B256,
    lengths: &[u32],
) -> BidRequest {
    let signatures = lengths
        .iter()
        .map(|&n| {
            let digest = destination.router_bid_digest(transfer_id, n as usize);
            let signature = sign_digest(signer, digest).expect("signs");
            (n, Bytes::copy_from_slice(&signature))
        })
        .collect();
    BidRequest {
        router,
        transfer_id,
        destination: None,
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
        Self::start_on(config, listener)
    }

    /// The sequencer with its API on `listener` (bound beforehand, so other configs can name it).
    pub fn start_on(config: SequencerConfig, listener: TcpListener) -> Self {
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
        eventually(what, || async {
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
