//! What the router's end-to-end tests share: the `nxtp_testnet` net on two chains with one-second
//! blocks and both layers deployed (DEMO's home is 1000, where each router has 1,000 DEMO of
//! liquidity), a stand-in sequencer that records every bid posted to it, and a router that can be
//! crashed.

#![allow(dead_code, unreachable_pub)]

pub mod stub;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, Provider, ProviderBuilder},
};
use nxtp_agent::{Cursor, KeySource, LogFormat, SecretString, Store, TelemetryConfig};
use nxtp_bindings::{execute_args, BridgeToken, Connext, Fronting};
use nxtp_devnet::{liquidity::DEMO_SYMBOL, LiquidityConfig, Role};
use nxtp_primitives::{Domain, TransferInfo};
use nxtp_router::{config::Amount, AssetConfig, DomainConfig, Router, RouterConfig};
use nxtp_testnet::{confirm, Mining, Options, TestNet};
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    ops::Deref,
    path::{Path, PathBuf},
    time::Duration,
};

pub use nxtp_testnet::eventually;

/// DEMO's home.
pub const HOME: Domain = Domain(1000);
/// The other domain, where DEMO is a representation.
pub const REMOTE: Domain = Domain(2000);

/// The router on its own runtime, so a test can kill it at any await.
pub type Crashable = nxtp_testnet::Crashable<Router>;

/// Whole DEMO in base units.
pub fn demo(whole: u64) -> U256 {
    nxtp_devnet::liquidity::demo_units(whole)
}

/// Chains with both layers, and the development accounts.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

/// One `xcall` as mined.
#[derive(Clone, Debug)]
pub struct XCall {
    pub id: B256,
    pub params: TransferInfo,
    pub block: u64,
}

impl Net {
    /// Two anvils with one-second blocks (a confirmation depth of one needs blocks to keep
    /// coming), both layers deployed as the devnet deploys them.
    pub async fn start() -> Self {
        // Agent logs, shown by the test runner when a test fails.
        let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info");
        let options = Options::new(&[HOME.get(), REMOTE.get()])
            .mining(Mining::every_ms(1000))
            .liquidity(LiquidityConfig::default());
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// Gives the user `amount` of DEMO's representation on `REMOTE`. Only the bridge mints it, so
    /// the test speaks as that domain's `Connext` (anvil impersonation) instead of waiting for a
    /// slow-path round trip through the messaging agents.
    pub async fn mint_remote_demo(&self, amount: U256) {
        let connext = self.connext(REMOTE);
        // Filled (gas, nonce, chain id) before anvil signs it as the impersonated account.
        let provider = ProviderBuilder::new()
            .connect_http(self.rpc_url(REMOTE).parse().expect("url"))
            .erased();
        provider
            .anvil_impersonate_account(connext)
            .await
            .expect("impersonates");
        provider
            .anvil_set_balance(connext, U256::from(10u64).pow(U256::from(18)))
            .await
            .expect("funds gas");
        let token = BridgeToken::new(self.demo_on(REMOTE), &provider);
        confirm(
            token
                .mint(self.accounts.address(Role::User), amount)
                .from(connext)
                .send()
                .await
                .expect("mint"),
        )
        .await;
        provider
            .anvil_stop_impersonating_account(connext)
            .await
            .expect("stops impersonating");
    }

    /// The user sends `amount` DEMO from `REMOTE` to itself on `HOME`, paying `fee` wei.
    pub async fn xcall_home(&self, amount: U256, fee: U256) -> XCall {
        let wallet = self.wallet(REMOTE, Role::User);
        let connext = Connext::new(self.connext(REMOTE), &wallet);
        let user = self.accounts.address(Role::User);
        let receipt = confirm(
            connext
                .xcall(
                    HOME.get(),
                    user,
                    self.demo_on(REMOTE),
                    user,
                    amount,
                    U256::from(100),
                    Bytes::new(),
                    U256::ZERO,
                )
                .value(fee)
                .send()
                .await
                .expect("xcall"),
        )
        .await;
        let log = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Connext::XCalled>().ok())
            .expect("XCalled");
        XCall {
            id: log.inner.data.transferId,
            params: log.inner.data.params.into(),
            block: receipt.block_number.expect("mined"),
        }
    }

    /// Anyone adds `fee` wei to the transfer's relayer fee on `REMOTE`.
    pub async fn bump(&self, id: B256, fee: U256) {
        let wallet = self.wallet(REMOTE, Role::User);
        confirm(
            Connext::new(self.connext(REMOTE), &wallet)
                .bumpTransfer(id, Address::ZERO, U256::ZERO)
                .value(fee)
                .send()
                .await
                .expect("bumpTransfer"),
        )
        .await;
    }

    /// Executes `xcall` on `HOME` fronted by `router_b` alone, as the sequencer and the relayer
    /// would, without the router under test.
    pub async fn execute_with_router_b(&self, xcall: &XCall) {
        use nxtp_primitives::sign_digest;
        let router = self.accounts.address(Role::RouterB);
        let connext = self.connext_signing(HOME);
        let router_signature = sign_digest(
            self.accounts.signer(Role::RouterB),
            connext.router_bid_digest(xcall.id, 1),
        )
        .expect("signs");
        let sequencer_signature = sign_digest(
            self.accounts.signer(Role::Sequencer),
            connext.router_selection_digest(xcall.id, &[router]),
        )
        .expect("signs");
        let fronting = Fronting {
            routers: vec![router],
            router_signatures: vec![Bytes::copy_from_slice(&router_signature)],
            sequencer: self.accounts.address(Role::Sequencer),
            sequencer_signature: Bytes::copy_from_slice(&sequencer_signature),
        };
        let args = execute_args(&xcall.params, fronting);
        let wallet = self.wallet(HOME, Role::Relayer);
        confirm(
            Connext::new(self.connext(HOME), &wallet)
                .execute(args)
                .send()
                .await
                .expect("execute"),
        )
        .await;
    }

    /// `router_a`'s config over this net: every domain at one confirmation, DEMO up to
    /// `max_amount` with `reserve` kept back, the sequencer at `sequencer`, the ops server on
    /// `ops`.
    pub fn router_config(
        &self,
        sequencer: SocketAddr,
        ops: SocketAddr,
        max_amount: U256,
        reserve: U256,
    ) -> RouterConfig {
        let key = self.manifest.dev_keys[Role::RouterA.name()];
        let mut domains = BTreeMap::new();
        for (&domain, deployment) in &self.manifest.domains {
            let mut chain = nxtp_chain::ChainConfig::new(
                deployment.rpc_url.parse().expect("url"),
                deployment.chain_id,
                1,
            );
            chain.poll_interval_ms = 200;
            domains.insert(
                domain,
                DomainConfig {
                    chain,
                    connext: self.connext(domain),
                    start_block: deployment.deploy_block,
                },
            );
        }
        let asset = &self.manifest.liquidity(HOME).expect("liquidity").assets[DEMO_SYMBOL];
        RouterConfig {
            telemetry: TelemetryConfig {
                listen: ops,
                log_format: LogFormat::Plain,
                log_filter: "info".to_owned(),
            },
            database: self.db_path(),
            signer: KeySource::Hex(SecretString::new(key.to_string())),
            sequencer_url: format!("http://{sequencer}").parse().expect("url"),
            max_transfer_age: Duration::from_secs(3_600),
            balance_interval: Duration::from_millis(200),
            domains: domains.into(),
            assets: BTreeMap::from([(
                "demo".to_owned(),
                AssetConfig {
                    canonical_domain: asset.canonical_domain,
                    canonical_id: asset.canonical_id,
                    max_amount: Amount(max_amount),
                    min_amount: Amount(U256::ZERO),
                    reserve: Amount(reserve),
                },
            )]),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.path("router_a.sqlite")
    }

    /// The router's database, opened beside the running router.
    pub fn store(&self) -> Store {
        open_store(&self.db_path())
    }
}

pub fn open_store(path: &Path) -> Store {
    Store::open(
        path,
        &[nxtp_chain::indexer::SCHEMA, nxtp_router::store::SCHEMA],
    )
    .expect("opens the router's database")
}

/// Moves the router's cursor on `domain` back to `block`, as if its logs were lost.
pub fn rewind(store: &Store, domain: Domain, block: u64) {
    let cursor = Cursor::new(domain, nxtp_router::XCALLS_STREAM);
    store
        .with(|conn| cursor.set(conn, block))
        .expect("rewinds the cursor");
}

/// Where the router's cursor on `domain` stands.
pub fn cursor(store: &Store, domain: Domain) -> Option<u64> {
    let cursor = Cursor::new(domain, nxtp_router::XCALLS_STREAM);
    store
        .with(|conn| cursor.get(conn))
        .expect("reads the cursor")
}

/// A free local port (bound then released).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("address")
}

/// The router's `/metrics` text.
pub async fn metrics(ops: SocketAddr) -> String {
    alloy::transports::http::reqwest::get(format!("http://{ops}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics body")
}

/// The value of the series `name` whose labels include every pair of `labels`, in Prometheus'
/// text format (label order aside).
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix('{')?;
        let (set, value) = rest.split_once("} ")?;
        let set: Vec<&str> = set.split(',').collect();
        labels
            .iter()
            .all(|(key, value)| set.contains(&format!("{key}=\"{value}\"").as_str()))
            .then(|| value.trim().parse().ok())?
    })
}
