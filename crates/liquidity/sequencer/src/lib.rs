//! The sequencer: collects router bids, runs each transfer's auction and hands the execute to
//! the relayer (`docs/liquidity-agents.md`).
//!
//! For every served domain it follows the `Connext`'s `XCalled` and `RelayerFeesIncreased` at
//! the configured confirmation depth ([`origin`]); it never trusts a router about a transfer.
//! Routers post bids to its HTTP API ([`api`]); each is checked (signatures, path lengths, and
//! once the transfer is known the router's approval on the destination) and kept in SQLite.
//! Once a transfer is confirmed, its relayer fee (native, plus fees in accepted assets valued in
//! native wei, [`pricing`]) reaches the quote and the auction window
//! since its first valid bid has passed, [`auction`] chooses the fewest routers whose current
//! balances, less what earlier decisions still in flight committed ([`reservations`]), cover
//! their shares ([`selection`]), signs the selection and records the decision, final, before
//! [`dispatch`] posts the execute job to the first relayer that takes it ([`relayers`]: several
//! may be configured, a job goes to the next when one is down) and follows it to the end; the
//! outcome the destination's `Connext` records ([`executed`]) is final. Auctions and
//! relayer requests run concurrently (bounded); values only governance changes are cached
//! briefly ([`destination`]). A restart re-posts recorded decisions (the same job) and never
//! chooses twice.
//!
//! With a `[consensus]` section ([`config::ConsensusConfig`]) the sequencer is one node of a
//! sequencer network instead: the auction is replaced by an `nxtp-consensus` node fed from the
//! same store, and the network's certified decisions are handed to the relayer ([`consensus`]).

mod api;
mod auction;
pub mod bids;
mod cache;
pub mod config;
pub mod consensus;
pub mod destination;
mod dispatch;
mod early;
mod error;
pub mod execute;
pub mod executed;
pub mod metrics;
mod origin;
pub mod pricing;
mod relayers;
pub mod reservations;
pub mod selection;
mod shared;
pub mod store;
#[cfg(test)]
mod testing;
pub mod view;

pub use config::{ConsensusConfig, DomainConfig, EarlyBids, Quotes, SequencerConfig};
pub use error::SequencerError;
pub use metrics::SequencerMetrics;
pub use origin::CONNEXT_STREAM;

use alloy::{primitives::B256, sol_types::SolEvent};
use auction::AuctionTask;
use destination::Destination;
use dispatch::DispatchTask;
use nxtp_agent::{Agent, AgentContext, Schema, Store, TaskSet, TelemetryConfig};
use nxtp_bindings::Connext;
use nxtp_chain::{ChainMetrics, Indexer, StartError};
use nxtp_liquidity::{connect_all, ConnectedDomain as Connected};
use nxtp_primitives::Domain;
use origin::OriginTask;
use pricing::Pricing;
use relayers::Relayers;
use shared::Shared;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};
use tokio::{net::TcpListener, sync::Notify};

/// The `Connext` events followed on every domain: its transfers and the relayer fees paid as an
/// origin, its executes as a destination.
const ORIGIN_EVENTS: [B256; 3] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
    Connext::Executed::SIGNATURE_HASH,
];

/// The sequencer's tables: the indexer's cursors and its own.
const SCHEMAS: [Schema; 3] = [nxtp_chain::indexer::SCHEMA, store::SCHEMA, executed::SCHEMA];

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
            .map_err(|source| StartError::Bind { addr, source })?;
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
    run_node(config, ctx, listener, consensus::Misbehaviour::default()).await
}

/// Runs the sequencer as a consensus node that misbehaves as `misbehaviour` says, its API on
/// `api_listen`: for the Byzantine test build of `crates/dev/byzantine-sequencer` only, which
/// checks that the honest nodes refuse what it does. `nxtp sequencer` never calls it and no
/// config key reaches it; a config without a `[consensus]` section is refused.
pub async fn run_byzantine_node(
    config: SequencerConfig,
    ctx: AgentContext,
    misbehaviour: consensus::Misbehaviour,
) -> Result<(), SequencerError> {
    if config.consensus.is_none() {
        return Err(SequencerError::Consensus(
            "a Byzantine test node needs a [consensus] section".to_owned(),
        ));
    }
    let addr = config.api_listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    run_node(config, ctx, listener, misbehaviour).await
}

/// Runs the sequencer with its API on `listener`; a consensus node misbehaves as `misbehaviour`
/// says (honest by default).
async fn run_node(
    config: SequencerConfig,
    ctx: AgentContext,
    listener: TcpListener,
    misbehaviour: consensus::Misbehaviour,
) -> Result<(), SequencerError> {
    let signer = config.signer.load()?;
    let store = Store::open(&config.database, &SCHEMAS)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = SequencerMetrics::register(&ctx.metrics)?;
    let relayers = Relayers::new(&config.relayer_urls)
        .map_err(|err| SequencerError::Relayer(err.to_string()))?;
    let chains = connect_all(&config.domains).await?;
    let valuation = config
        .relayer_fee_assets
        .resolve("relayer_fee_assets", &chains)
        .await?;
    let pricing = Pricing {
        quotes: config.quotes.clone(),
        valuation,
    };
    let (forward, forwarders) = consensus::bid_forwarding(config.consensus.as_ref())?;
    let shared = Arc::new(shared(&config, pricing, &store, &metrics, &chains, forward));
    // A consensus node's decisions are the network's: no liquidity is committed here.
    let ledger = match &config.consensus {
        None => auction::restored_ledger(&store).await?,
        Some(_) => reservations::Ledger::default(),
    };

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    for forwarder in forwarders {
        tasks.spawn("bid forwarding", forwarder.run(tasks.shutdown()));
    }
    let served: BTreeSet<Domain> = chains.keys().copied().collect();
    let dispatch_wake = Arc::new(Notify::new());
    for (&domain, chain) in &chains {
        let indexer = origin_indexer(domain, chain, &store, &chain_metrics);
        let (served, health) = (served.clone(), &ctx.health);
        let origin = OriginTask::new(domain, indexer, &shared, served, health, &dispatch_wake);
        tasks.spawn(format!("origin {domain}"), origin.run(tasks.shutdown()));
    }
    match &config.consensus {
        None => {
            let auction = AuctionTask::new(
                Arc::clone(&shared),
                signer.clone(),
                ctx.health.clone(),
                Arc::clone(&dispatch_wake),
                ledger.clone(),
            );
            tasks.spawn("auction", auction.run(tasks.shutdown()));
        }
        Some(consensus) => {
            let wake = &dispatch_wake;
            let node =
                start_consensus(consensus, &signer, &shared, &ctx, wake, misbehaviour).await?;
            tasks.spawn("consensus feed", node.feed.run(tasks.shutdown()));
            tasks.spawn("consensus hand-over", node.hand_over.run(tasks.shutdown()));
            let (handle, shutdown) = (node.handle, tasks.shutdown());
            tasks.spawn("consensus node", async move {
                shutdown.cancelled().await;
                // Its write-ahead log and store hold everything decided or voted.
                handle.kill().await;
                Ok(())
            });
        }
    }
    let dispatch = DispatchTask {
        store: store.clone(),
        relayers,
        metrics: metrics.clone(),
        health: ctx.health.clone(),
        ledger,
        wake: dispatch_wake,
        interval: DISPATCH_INTERVAL,
    };
    tasks.spawn("dispatch", dispatch.run(tasks.shutdown()));
    let sweep = early::sweep(store, config.early_bids, metrics, tasks.shutdown());
    tasks.spawn("early bids", sweep);
    let api_addr = listener.local_addr().map_err(SequencerError::Serve)?;
    tasks.spawn("API", api::serve(listener, shared, tasks.shutdown()));

    tracing::info!(
        signer = %signer.address(),
        %api_addr,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        window_ms = config.auction_window.as_millis(),
        "sequencer running"
    );
    ctx.health.ok("start-up");
    tasks.join().await
}

/// A started consensus node and the tasks that connect it to the sequencer.
struct ConsensusNode {
    handle: nxtp_consensus::NodeHandle,
    feed: consensus::Feed,
    hand_over: consensus::HandOver,
}

/// Starts this sequencer's consensus node, signing with `signer`, once a first look at the store
/// filled its view of the chains (so it does not vote nil on what the store already knows).
async fn start_consensus(
    config: &ConsensusConfig,
    signer: &alloy::signers::local::PrivateKeySigner,
    shared: &Arc<Shared>,
    ctx: &AgentContext,
    dispatch_wake: &Arc<Notify>,
    misbehaviour: consensus::Misbehaviour,
) -> Result<ConsensusNode, SequencerError> {
    let key = nxtp_consensus::NodeKey::from_secret(&signer.to_bytes())?;
    let view = Arc::new(consensus::ChainView::default());
    let pool = nxtp_consensus::BidPool::new();
    let mut feed = consensus::Feed::new(
        Arc::clone(shared),
        Arc::clone(&view),
        pool.clone(),
        ctx.health.clone(),
        config,
    );
    feed.round().await?;
    let handle =
        consensus::start_node(config, key, view, pool, shared.window, misbehaviour).await?;
    let hand_over = consensus::HandOver {
        shared: Arc::clone(shared),
        node: handle.store.clone(),
        decided: handle.decided.clone(),
        threshold: config.threshold,
        dispatch_wake: Arc::clone(dispatch_wake),
        height: consensus::height_gauge(&ctx.metrics)?,
        sequencers: consensus::sequencers(config),
        me: handle.address,
        backup_after: config.backup_handover,
    };
    tracing::info!(
        node = %handle.address,
        listen = %config.listen,
        peers = config.peers.len(),
        validators = config.validators.len(),
        threshold = config.threshold,
        "consensus node running"
    );
    Ok(ConsensusNode {
        handle,
        feed,
        hand_over,
    })
}

/// The indexer of a served domain's transfers and relayer fees, under the sequencer's cursor.
fn origin_indexer(
    domain: Domain,
    chain: &Connected,
    store: &Store,
    metrics: &ChainMetrics,
) -> Indexer {
    let events = ORIGIN_EVENTS.to_vec();
    let provider = chain.provider.clone();
    chain
        .config
        .indexer(domain, CONNEXT_STREAM, events, store, provider, metrics)
}

/// What the API and the auction share, the served domains as destinations.
fn shared(
    config: &SequencerConfig,
    pricing: Pricing,
    store: &Store,
    metrics: &SequencerMetrics,
    chains: &BTreeMap<Domain, Connected>,
    forward: Option<consensus::BidForwarder>,
) -> Shared {
    Shared {
        store: store.clone(),
        pricing,
        window: config.auction_window,
        early_bids: config.early_bids,
        destinations: destinations(chains),
        metrics: metrics.clone(),
        auction_wake: Arc::new(Notify::new()),
        forward,
    }
}

/// Every served domain as a destination the auction reads.
fn destinations(chains: &BTreeMap<Domain, Connected>) -> BTreeMap<Domain, Destination> {
    chains
        .iter()
        .map(|(&domain, chain)| {
            let (connext, chain_id) = (chain.config.connext, chain.config.chain.chain_id);
            let provider = chain.provider.clone();
            (
                domain,
                Destination::new(domain, connext, chain_id, provider),
            )
        })
        .collect()
}
