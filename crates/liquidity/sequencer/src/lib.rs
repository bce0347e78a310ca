//! The sequencer: collects router bids, runs each transfer's auction and hands the execute to
//! the relayer (`docs/liquidity-agents.md`).
//!
//! For every served domain it follows the `Connext`'s `XCalled` and `RelayerFeesIncreased` at
//! the configured confirmation depth ([`origin`]); it never trusts a router about a transfer.
//! Routers post bids to its HTTP API ([`api`]); each is checked (signatures, path lengths, and
//! once the transfer is known the router's approval on the destination) and kept in SQLite.
//! Once a transfer is confirmed, its native relayer fee reaches the quote and the auction window
//! since its first valid bid has passed, [`auction`] chooses the fewest routers whose current
//! balances, less what earlier decisions still in flight committed ([`reservations`]), cover
//! their shares ([`selection`]), signs the selection and records the decision, final, before
//! [`dispatch`] posts the execute job to the relayer and follows it to the end. Auctions and
//! relayer requests run concurrently (bounded); values only governance changes are cached
//! briefly ([`destination`]). A restart re-posts recorded decisions (the same job) and never
//! chooses twice.

mod api;
mod auction;
pub mod bids;
mod cache;
pub mod config;
pub mod destination;
mod dispatch;
mod early;
mod error;
pub mod execute;
pub mod metrics;
mod origin;
pub mod reservations;
pub mod selection;
mod shared;
pub mod store;
pub mod view;

pub use config::{DomainConfig, EarlyBids, Quotes, SequencerConfig};
pub use error::SequencerError;
pub use metrics::SequencerMetrics;
pub use origin::CONNEXT_STREAM;

use alloy::{primitives::B256, sol_types::SolEvent};
use auction::AuctionTask;
use destination::Destination;
use dispatch::DispatchTask;
use nxtp_agent::{Agent, AgentContext, HttpLimits, Store, TaskSet, TelemetryConfig};
use nxtp_api::relayer::RelayerClient;
use nxtp_bindings::Connext;
use nxtp_chain::{connect, ChainMetrics};
use nxtp_primitives::Domain;
use origin::OriginTask;
use reservations::Ledger;
use shared::Shared;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};
use tokio::{net::TcpListener, sync::Notify};

/// The `Connext` events followed on every origin: its transfers and the native fees paid.
const ORIGIN_EVENTS: [B256; 2] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
];

/// How often the jobs in flight are polled at the relayer.
const DISPATCH_INTERVAL: Duration = Duration::from_millis(500);

/// The sequencer agent; run it with `nxtp_agent::run::<Sequencer>(config_path)`.
#[derive(Debug)]
pub struct Sequencer;

impl Agent for Sequencer {
    const NAME: &'static str = "sequencer";
    type Config = SequencerConfig;
    type Error = SequencerError;

    fn telemetry(config: &SequencerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: SequencerConfig, ctx: AgentContext) -> Result<(), SequencerError> {
        let addr = config.api_listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SequencerError::Listen { addr, source })?;
        run_with_listener(config, ctx, listener).await
    }
}

/// Runs the sequencer with its API served on `listener` instead of binding `api_listen`: for
/// tests and supervisors that need the address before the sequencer starts.
pub async fn run_with_listener(
    config: SequencerConfig,
    ctx: AgentContext,
    listener: TcpListener,
) -> Result<(), SequencerError> {
    let signer = config.signer.load()?;
    let schemas = [nxtp_chain::indexer::SCHEMA, store::SCHEMA];
    let store = Store::open(&config.database, &schemas)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = SequencerMetrics::register(&ctx.metrics)?;
    let health = ctx.health.clone();
    let relayer = RelayerClient::new(config.relayer_url.clone())
        .map_err(|err| SequencerError::Relayer(err.to_string()))?;

    let (auction_wake, dispatch_wake) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let served: BTreeSet<Domain> = config.domains.keys().copied().collect();
    let (mut destinations, mut origins) = (BTreeMap::new(), Vec::new());
    for (&domain, domain_config) in &config.domains {
        let chain = &domain_config.chain;
        let provider = connect(chain)
            .await
            .map_err(|source| SequencerError::Connect { domain, source })?;
        let (connext, chain_id) = (domain_config.connext, chain.chain_id);
        let destination = Destination::new(domain, connext, chain_id, provider.clone());
        destinations.insert(domain, destination);
        origins.push(OriginTask {
            origin: domain,
            indexer: domain_config.indexer(
                domain,
                CONNEXT_STREAM,
                ORIGIN_EVENTS.to_vec(),
                &store,
                provider,
                &chain_metrics,
            ),
            store: store.clone(),
            served: served.clone(),
            wake: Arc::clone(&auction_wake),
            health: health.clone(),
        });
    }
    let shared = Arc::new(Shared {
        store: store.clone(),
        quotes: config.quotes.clone(),
        window: config.auction_window,
        early_bids: config.early_bids,
        destinations,
        metrics: metrics.clone(),
        auction_wake: Arc::clone(&auction_wake),
    });
    let ledger = Ledger::default();
    let in_flight = store.call(|conn| store::in_flight(conn)).await?;
    auction::restore(&ledger, &in_flight);

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    for origin in origins {
        tasks.spawn(
            format!("origin {}", origin.origin),
            origin.run(tasks.shutdown()),
        );
    }
    let auction = AuctionTask::new(
        Arc::clone(&shared),
        signer.clone(),
        health.clone(),
        Arc::clone(&dispatch_wake),
        ledger.clone(),
    );
    tasks.spawn("auction", auction.run(tasks.shutdown()));
    let dispatch = DispatchTask {
        store: store.clone(),
        relayer,
        metrics: metrics.clone(),
        health: health.clone(),
        ledger,
        wake: dispatch_wake,
        interval: DISPATCH_INTERVAL,
    };
    tasks.spawn("dispatch", dispatch.run(tasks.shutdown()));
    let sweep = early::sweep(store, config.early_bids, metrics, tasks.shutdown());
    tasks.spawn("early bids", sweep);
    let api_addr = listener.local_addr().map_err(SequencerError::Serve)?;
    let (app, token) = (api::router(shared), tasks.shutdown());
    tasks.spawn("API", async move {
        let served = nxtp_agent::http::serve(listener, app, HttpLimits::default(), token).await;
        served.map_err(SequencerError::Serve)
    });

    tracing::info!(
        signer = %signer.address(),
        %api_addr,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        window_ms = config.auction_window.as_millis(),
        "sequencer running"
    );
    health.ok("start-up");
    tasks.join().await
}
