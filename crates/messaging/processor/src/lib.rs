//! The processor: delivers every message dispatched to the destinations it serves, exactly once,
//! as soon as the messaging layer allows.
//!
//! For each origin of a served destination it indexes the origin Home's `Dispatch` events (all of
//! them: one tree holds the messages to every destination) and `Checkpointed` roots, keeping the
//! origin's [`MerkleTree`](nxtp_primitives::MerkleTree) in memory (rebuilt from the database at
//! start). For each destination it follows the Replicas' `Update`, `Processed` and
//! `ProcessFailed` events. Once a root is acceptable (the destination's latest block timestamp is
//! at least its `confirmAt`), every undelivered message under it goes out in
//! `proveAndProcessBatch` transactions of at most `batch_size` messages with one multiproof each;
//! deliveries whose recipient reverted are retried with `process(message)` after an exponential
//! backoff. Transactions go through the [`Submitter`](nxtp_chain::Submitter) under idempotent
//! keys recorded before submission (see [`operation`]), so a crash at any instant neither
//! loses a message nor puts one in two live transactions.
//!
//! Roots the origin's Home never produced are never used: proving against them is the
//! watcher's business, not the processor's.

pub mod config;
mod destination;
mod error;
pub mod metrics;
pub mod operation;
mod origin;
pub mod store;

pub use config::{DomainConfig, ProcessorConfig, RetryPolicy};
pub use error::ProcessorError;
pub use metrics::ProcessorMetrics;

use alloy::{
    primitives::Address, providers::DynProvider, rpc::types::Filter,
    signers::local::PrivateKeySigner, sol_types::SolEvent,
};
use destination::{DestinationTask, OriginLink};

use nxtp_agent::{
    Agent, AgentContext, CancellationToken, Cursor, Health, Store, TaskSet, TelemetryConfig,
};
use nxtp_bindings::{Home, Replica};
use nxtp_chain::{connect, ChainMetrics, Heads, Indexer, StartError, Submitter, SubmitterConfig};
use nxtp_primitives::Domain;
use origin::{load_tree, OriginTask, SharedTree};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, RwLock},
};
use tokio::sync::Notify;

/// The indexer stream (per chain) of an origin Home's events.
pub const HOME_STREAM: &str = "processor/home";
/// The indexer stream (per chain) of a destination's Replica events.
pub const REPLICAS_STREAM: &str = "processor/replicas";

/// The processor agent; run it with `nxtp_agent::run::<Processor>(config_path)`.
#[derive(Debug)]
pub struct Processor;

impl Agent for Processor {
    const NAME: &'static str = "processor";
    type Config = ProcessorConfig;
    type Error = ProcessorError;

    fn telemetry(config: &ProcessorConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: ProcessorConfig, ctx: AgentContext) -> Result<(), ProcessorError> {
        run(config, ctx).await
    }
}

fn domain_config(
    config: &ProcessorConfig,
    domain: Domain,
) -> Result<&DomainConfig, ProcessorError> {
    config
        .domains
        .get(&domain)
        .ok_or_else(|| ProcessorError::Config(format!("domain {domain} has no [domains] section")))
}

async fn run(config: ProcessorConfig, ctx: AgentContext) -> Result<(), ProcessorError> {
    let signer = config.signer.load()?;
    let store = nxtp_chain::open_store(&config.database, &[store::SCHEMA])?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = ProcessorMetrics::register(&ctx.metrics)?;
    let origins = config.origins();
    let providers = connect_all(&config, &origins).await?;
    let trees = load_trees(&store, &origins).await?;
    // Each chain's head, followed once for all the tasks on it.
    let mut heads = BTreeMap::new();
    for (&domain, provider) in &providers {
        let poll_interval = domain_config(&config, domain)?.chain.poll_interval();
        heads.insert(
            domain,
            Heads::follow(domain, provider.clone(), poll_interval),
        );
    }
    let wiring = Wiring {
        config: &config,
        signer: signer.clone(),
        store,
        providers,
        heads,
        trees,
        chain_metrics,
        metrics,
        health: ctx.health.clone(),
        wake: Arc::new(Notify::new()),
    };
    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    for &origin in &origins {
        let task = wiring.origin_task(origin)?;
        tasks.spawn(format!("home {origin}"), task.run(tasks.shutdown()));
    }
    for &destination in &config.destinations {
        let (task, submitter) = wiring
            .destination_task(destination, tasks.shutdown())
            .await?;
        task.seed_roots().await?;
        tasks.spawn(
            format!("replicas {destination}"),
            task.run(tasks.shutdown()),
        );
        let stopped = submitter.watch(tasks.shutdown());
        tasks.spawn(format!("submitter {destination}"), async move {
            stopped
                .await
                .map_err(|_| ProcessorError::from(StartError::SubmitterStopped(destination)))
        });
    }
    tracing::info!(
        signer = %signer.address(),
        destinations = ?config.destinations,
        origins = ?origins,
        batch_size = config.batch_size,
        "processor running"
    );
    ctx.health.ok("start-up");
    tasks.join().await
}

/// A checked provider for every origin and destination.
async fn connect_all(
    config: &ProcessorConfig,
    origins: &BTreeSet<Domain>,
) -> Result<BTreeMap<Domain, DynProvider>, ProcessorError> {
    let mut providers = BTreeMap::new();
    for &domain in origins.union(&config.destinations) {
        let chain = &domain_config(config, domain)?.chain;
        let provider = connect(chain).await.map_err(StartError::connect(domain))?;
        providers.insert(domain, provider);
    }
    Ok(providers)
}

/// Every origin's Merkle tree, rebuilt from the database.
async fn load_trees(
    store: &Store,
    origins: &BTreeSet<Domain>,
) -> Result<BTreeMap<Domain, SharedTree>, ProcessorError> {
    let mut trees = BTreeMap::new();
    for &origin in origins {
        let tree = load_tree(store, origin).await?;
        tracing::info!(%origin, leaves = tree.count(), "origin tree loaded");
        trees.insert(origin, Arc::new(RwLock::new(tree)));
    }
    Ok(trees)
}

/// What the processor's tasks are made of.
struct Wiring<'a> {
    config: &'a ProcessorConfig,
    signer: PrivateKeySigner,
    store: Store,
    providers: BTreeMap<Domain, DynProvider>,
    heads: BTreeMap<Domain, Heads>,
    trees: BTreeMap<Domain, SharedTree>,
    chain_metrics: ChainMetrics,
    metrics: ProcessorMetrics,
    health: Health,
    /// Wakes the destinations when an origin has new roots or messages.
    wake: Arc<Notify>,
}

impl Wiring<'_> {
    fn provider(&self, domain: Domain) -> Result<DynProvider, ProcessorError> {
        self.providers
            .get(&domain)
            .cloned()
            .ok_or_else(|| ProcessorError::Config(format!("domain {domain} is not connected")))
    }

    fn heads(&self, domain: Domain) -> Result<Heads, ProcessorError> {
        self.heads
            .get(&domain)
            .cloned()
            .ok_or_else(|| ProcessorError::Config(format!("domain {domain} is not connected")))
    }

    fn tree(&self, origin: Domain) -> Result<SharedTree, ProcessorError> {
        self.trees
            .get(&origin)
            .cloned()
            .ok_or_else(|| ProcessorError::Config(format!("origin {origin} has no tree")))
    }

    /// The task following `origin`'s Home for the destinations served.
    fn origin_task(&self, origin: Domain) -> Result<OriginTask, ProcessorError> {
        let config = self.config;
        let domain = domain_config(config, origin)?;
        let served: BTreeSet<Domain> = config
            .destinations
            .iter()
            .filter(|&&destination| config.origins_of(destination).contains_key(&origin))
            .copied()
            .collect();
        let filter = Filter::new().address(domain.home).event_signature(vec![
            Home::Dispatch::SIGNATURE_HASH,
            Home::Checkpointed::SIGNATURE_HASH,
        ]);
        let indexer = Indexer::new(
            self.store.clone(),
            Cursor::new(origin, HOME_STREAM),
            self.provider(origin)?,
            filter,
            domain.chain.confirmations,
        )
        .start_block(domain.start_block)
        .poll_interval(domain.chain.poll_interval())
        .metrics(self.chain_metrics.clone())
        .heads(self.heads(origin)?);
        Ok(OriginTask {
            origin,
            indexer,
            store: self.store.clone(),
            tree: self.tree(origin)?,
            served,
            wake: Arc::clone(&self.wake),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
        })
    }

    /// The task delivering to `destination`, and the submitter it sends through (started here,
    /// stopping on `shutdown`).
    async fn destination_task(
        &self,
        destination: Domain,
        shutdown: CancellationToken,
    ) -> Result<(DestinationTask, Submitter), ProcessorError> {
        let config = self.config;
        let domain = domain_config(config, destination)?;
        let provider = self.provider(destination)?;
        let submitter = Submitter::start(
            self.store.clone(),
            destination,
            provider.clone(),
            self.signer.clone(),
            SubmitterConfig::new(&domain.chain)
                .with_metrics(self.chain_metrics.clone())
                .with_heads(self.heads(destination)?),
            shutdown,
        )
        .await
        .map_err(StartError::submitter(destination))?;
        let mut links = BTreeMap::new();
        for (origin, replica) in config.origins_of(destination) {
            let tree = self.tree(origin)?;
            links.insert(origin, OriginLink { replica, tree });
        }
        let replicas: Vec<Address> = links.values().map(|link| link.replica).collect();
        let filter = Filter::new().address(replicas).event_signature(vec![
            Replica::Update::SIGNATURE_HASH,
            Replica::Processed::SIGNATURE_HASH,
            Replica::ProcessFailed::SIGNATURE_HASH,
        ]);
        let indexer = Indexer::new(
            self.store.clone(),
            Cursor::new(destination, REPLICAS_STREAM),
            provider.clone(),
            filter,
            domain.chain.confirmations,
        )
        .start_block(domain.start_block)
        .poll_interval(domain.chain.poll_interval())
        .metrics(self.chain_metrics.clone())
        .heads(self.heads(destination)?);
        let task = DestinationTask {
            destination,
            provider,
            indexer,
            store: self.store.clone(),
            submitter: submitter.clone(),
            origins: links,
            batch_size: config.batch_size,
            retry: config.retry,
            metrics: self.metrics.clone(),
            health: self.health.clone(),
            wake: Arc::clone(&self.wake),
            poll_interval: domain.chain.poll_interval(),
            waiting: HashMap::new(),
            heads: self.heads(destination)?,
        };
        Ok((task, submitter))
    }
}
