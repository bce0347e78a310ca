//! The router: bids its liquidity on transfers and tracks its balances.
//!
//! For every configured domain it follows the `Connext`'s `XCalled` and native
//! `RelayerFeesIncreased` events after the chain's confirmation depth, recording each transfer with
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

use alloy::{primitives::B256, sol_types::SolEvent};
use balances::{BalanceTask, TrackedAsset};
use bidder::BidderTask;
use nxtp_agent::{Agent, AgentContext, Store, TaskSet, TelemetryConfig};
use nxtp_api::sequencer::SequencerClient;
use nxtp_bindings::Connext;
use nxtp_chain::{connect, ChainMetrics};
use nxtp_primitives::ConnextSigningDomain;
use origin::OriginTask;
use poster::PosterTask;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The `Connext` events followed on every origin: its transfers and the native fees paid.
const XCALL_EVENTS: [B256; 2] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
];

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
    let router = signer.address();
    let schemas = [nxtp_chain::indexer::SCHEMA, store::SCHEMA];
    let store = Store::open(&config.database, &schemas)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = RouterMetrics::register(&ctx.metrics)?;
    let health = ctx.health.clone();
    let sequencer =
        SequencerClient::new(config.sequencer_url.clone()).map_err(RouterError::Sequencer)?;
    let config = Arc::new(config);
    let mut providers = BTreeMap::new();
    for (&domain, domain_config) in &config.domains {
        let provider = connect(&domain_config.chain)
            .await
            .map_err(|source| RouterError::Connect { domain, source })?;
        providers.insert(domain, (domain_config, provider));
    }

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    let poster_wake = Arc::new(Notify::new());
    let (mut bidder_wakes, mut connexts) = (Vec::new(), BTreeMap::new());
    for (&domain, (domain_config, provider)) in &providers {
        let connext = Connext::new(domain_config.connext, provider.clone());
        connexts.insert(domain, connext.clone());
        let wake = Arc::new(Notify::new());
        bidder_wakes.push(Arc::clone(&wake));
        let bidder = BidderTask {
            destination: domain,
            connext,
            signing: ConnextSigningDomain::new(domain_config.chain.chain_id, domain_config.connext),
            signer: signer.clone(),
            store: store.clone(),
            config: Arc::clone(&config),
            sequencer: sequencer.clone(),
            wake,
            poster: Arc::clone(&poster_wake),
            metrics: metrics.clone(),
            health: health.clone(),
            poll_interval: domain_config.chain.poll_interval(),
        };
        tasks.spawn(format!("bidder {domain}"), bidder.run(tasks.shutdown()));
    }
    for (&domain, (domain_config, provider)) in &providers {
        let task = OriginTask {
            origin: domain,
            indexer: domain_config.indexer(
                domain,
                origin::STREAM,
                XCALL_EVENTS.to_vec(),
                &store,
                provider.clone(),
                &chain_metrics,
            ),
            provider: provider.clone(),
            store: store.clone(),
            config: Arc::clone(&config),
            bidders: bidder_wakes.clone(),
            metrics: metrics.clone(),
            health: health.clone(),
        };
        tasks.spawn(format!("xcalls {domain}"), task.run(tasks.shutdown()));
    }
    let poster = PosterTask {
        router,
        store: store.clone(),
        sequencer,
        wake: poster_wake,
        metrics: metrics.clone(),
        health: health.clone(),
        retry_base: POST_RETRY_BASE,
    };
    tasks.spawn("poster", poster.run(tasks.shutdown()));
    let balances = BalanceTask {
        router,
        connexts,
        assets: tracked_assets(&config),
        metrics,
        health: health.clone(),
        interval: config.balance_interval,
    };
    tasks.spawn("balances", balances.run(tasks.shutdown()));

    tracing::info!(
        %router,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        assets = ?config.assets.keys().collect::<Vec<_>>(),
        sequencer = %config.sequencer_url,
        "router running"
    );
    health.ok("start-up");
    tasks.join().await
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
