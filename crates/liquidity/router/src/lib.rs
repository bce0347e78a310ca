//! The router: bids its liquidity on transfers and tracks its balances.
//!
//! For every configured domain it follows the `Connext`'s `XCalled` and
//! `TransferRelayerFeesIncreased` events (fees native or in an asset, valued in native wei at the
//! rates the sequencer's quote lists) after the chain's confirmation depth, recording each transfer with
//! the indexer's cursor in one transaction. For each transfer to a configured destination, in a
//! configured asset and within that asset's limits, it reads the destination (status, local asset,
//! its own approval and `routerBalance`, the liquidity fee and `maxRoutersPerTransfer`) and the
//! sequencer's quote, and [`decide`](decision::decide)s: skip for a typed reason, wait for a
//! higher fee, or bid for every path length its balance covers. A bid is signed (EIP-712
//! `RouterBid(transferId, n)` under the destination Connext's domain: its chain id, checked
//! against the node when connecting, and its address) and recorded before it is posted, and the transfer
//! id is the bid's key, so the router bids at most once per transfer across restarts, re-read logs
//! and reorgs. Posting is retried until the sequencer answers; a `4xx` refusal is final.
//!
//! Balances of every configured asset on every domain are read periodically and exported as
//! `nxtp_router_balance`; decisions and posts are counted by reason.

mod balances;
mod bidder;
pub mod config;
pub mod decision;
mod error;
pub mod metrics;
mod origin;
mod poster;
pub mod store;

pub use config::{AssetConfig, DomainConfig, RouterConfig};
pub use decision::{decide, screen, Decision, DestinationState, SkipReason, Transfer};
pub use error::RouterError;
pub use metrics::RouterMetrics;
pub use origin::STREAM as XCALLS_STREAM;

use alloy::{
    primitives::{Address, B256},
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use balances::{BalanceDomain, BalanceTask, TrackedAsset};
use bidder::BidderTask;
use nxtp_agent::{Agent, AgentContext, Health, Schema, Store, TaskSet, TelemetryConfig};
use nxtp_api::sequencer::SequencerClient;
use nxtp_bindings::Connext;
use nxtp_chain::{ChainMetrics, Heads};
use nxtp_liquidity::{connect_all, ConnectedDomain as Connected};
use nxtp_primitives::{ConnextSigningDomain, Domain};
use origin::OriginTask;
use poster::PosterTask;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The `Connext` events followed on every origin: its transfers and the relayer fees paid.
const XCALL_EVENTS: [B256; 2] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
];

/// The router's tables: the indexer's cursors and its own.
const SCHEMAS: [Schema; 2] = [nxtp_chain::indexer::SCHEMA, store::SCHEMA];

/// The first pause after a failed post to the sequencer, and how often the poster looks for
/// bids it was not woken for.
const POST_RETRY_BASE: Duration = Duration::from_millis(500);

/// The router agent; run it with `nxtp_agent::run::<Router>(config_path)`.
#[derive(Debug)]
pub struct Router;

impl Agent for Router {
    const NAME: &'static str = "router";
    type Config = RouterConfig;
    type Error = RouterError;

    fn telemetry(config: &RouterConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: RouterConfig, ctx: AgentContext) -> Result<(), RouterError> {
        run(config, ctx).await
    }
}

async fn run(config: RouterConfig, ctx: AgentContext) -> Result<(), RouterError> {
    let signer = config.signer.load()?;
    let store = Store::open(&config.database, &SCHEMAS)?;
    let sequencer =
        SequencerClient::new(config.sequencer_url.clone()).map_err(RouterError::Sequencer)?;
    let chains = connect_all(&config.domains).await?;
    // One head follower per chain, shared by the tasks that need the head.
    let heads: BTreeMap<Domain, Heads> = chains
        .iter()
        .map(|(&domain, chain)| {
            let poll_interval = chain.config.chain.poll_interval();
            let heads = Heads::follow(domain, chain.provider.clone(), poll_interval);
            (domain, heads)
        })
        .collect();
    let wiring = Wiring {
        router: signer.address(),
        signer,
        store,
        config: Arc::new(config),
        sequencer,
        chain_metrics: ChainMetrics::register(&ctx.metrics)?,
        metrics: RouterMetrics::register(&ctx.metrics)?,
        health: ctx.health.clone(),
        poster_wake: Arc::new(Notify::new()),
    };

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    let mut bidder_wakes = Vec::new();
    for (&domain, chain) in &chains {
        let bidder = wiring.bidder(domain, chain);
        bidder_wakes.push(Arc::clone(&bidder.wake));
        tasks.spawn(format!("bidder {domain}"), bidder.run(tasks.shutdown()));
    }
    for ((&domain, chain), heads) in chains.iter().zip(heads.values()) {
        let origin = wiring.origin(domain, chain, heads.clone(), bidder_wakes.clone());
        tasks.spawn(format!("xcalls {domain}"), origin.run(tasks.shutdown()));
    }
    tasks.spawn("poster", wiring.poster().run(tasks.shutdown()));
    let balances = wiring.balances(&chains, &heads);
    tasks.spawn("balances", balances.run(tasks.shutdown()));

    let config = &wiring.config;
    tracing::info!(
        router = %wiring.router,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        assets = ?config.assets.keys().collect::<Vec<_>>(),
        sequencer = %config.sequencer_url,
        "router running"
    );
    ctx.health.ok("start-up");
    tasks.join().await
}

/// What the router's tasks are made of: one of each shared piece, handed to every task.
struct Wiring {
    router: Address,
    signer: PrivateKeySigner,
    store: Store,
    config: Arc<RouterConfig>,
    sequencer: SequencerClient,
    chain_metrics: ChainMetrics,
    metrics: RouterMetrics,
    health: Health,
    /// Wakes the poster when a bidder records a bid.
    poster_wake: Arc<Notify>,
}

impl Wiring {
    /// The task bidding on transfers to `destination`, with a wake of its own.
    fn bidder(&self, destination: Domain, chain: &Connected) -> BidderTask {
        let Connected { config, provider } = chain;
        BidderTask {
            destination,
            connext: Connext::new(config.connext, provider.clone()),
            signing: ConnextSigningDomain::new(config.chain.chain_id, config.connext),
            signer: self.signer.clone(),
            store: self.store.clone(),
            config: Arc::clone(&self.config),
            sequencer: self.sequencer.clone(),
            wake: Arc::new(Notify::new()),
            poster: Arc::clone(&self.poster_wake),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
            poll_interval: config.chain.poll_interval(),
        }
    }

    /// The task following `origin`'s transfers (its head from `heads`), waking `bidders` when
    /// some become due.
    fn origin(
        &self,
        origin: Domain,
        chain: &Connected,
        heads: Heads,
        bidders: Vec<Arc<Notify>>,
    ) -> OriginTask {
        let indexer = chain
            .config
            .indexer(
                origin,
                origin::STREAM,
                XCALL_EVENTS.to_vec(),
                &self.store,
                chain.provider.clone(),
                &self.chain_metrics,
            )
            .heads(heads);
        OriginTask {
            origin,
            indexer,
            provider: chain.provider.clone(),
            store: self.store.clone(),
            config: Arc::clone(&self.config),
            bidders,
            metrics: self.metrics.clone(),
            health: self.health.clone(),
        }
    }

    /// The task posting recorded bids to the sequencer.
    fn poster(&self) -> PosterTask {
        PosterTask {
            router: self.router,
            store: self.store.clone(),
            sequencer: self.sequencer.clone(),
            wake: Arc::clone(&self.poster_wake),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
            retry_base: POST_RETRY_BASE,
        }
    }

    /// The task reading the router's balances on every connected domain, at `heads`.
    fn balances(
        &self,
        chains: &BTreeMap<Domain, Connected>,
        heads: &BTreeMap<Domain, Heads>,
    ) -> BalanceTask {
        let domains = chains
            .iter()
            .zip(heads.values())
            .map(|((&domain, chain), heads)| {
                let connext = Connext::new(chain.config.connext, chain.provider.clone());
                let heads = heads.clone();
                (domain, BalanceDomain { connext, heads })
            })
            .collect();
        BalanceTask {
            router: self.router,
            domains,
            assets: tracked_assets(&self.config),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
            interval: self.config.balance_interval,
        }
    }
}

/// The configured assets, as the balance task reports them.
fn tracked_assets(config: &RouterConfig) -> Vec<TrackedAsset> {
    config
        .assets
        .iter()
        .map(|(name, asset)| TrackedAsset {
            name: name.clone(),
            canonical_domain: asset.canonical_domain,
            canonical_id: asset.canonical_id,
        })
        .collect()
}
