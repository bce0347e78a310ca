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

use alloy::{primitives::Address, rpc::types::Filter, sol_types::SolEvent};
use destination::{DestinationTask, OriginLink};

use nxtp_agent::{Agent, AgentContext, Cursor, Liveness, Store, TelemetryConfig};
use nxtp_bindings::{Home, Replica};
use nxtp_chain::{connect, ChainMetrics, Indexer, Submitter, SubmitterConfig};
use nxtp_primitives::Domain;
use origin::{load_tree, OriginTask, SharedTree};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, RwLock},
};
use tokio::{sync::Notify, task::JoinSet};

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
    let schemas = [
        nxtp_chain::indexer::SCHEMA,
        nxtp_chain::submitter::SCHEMA,
        store::SCHEMA,
    ];
    let store = Store::open(&config.database, &schemas)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = ProcessorMetrics::register(&ctx.metrics)?;
    let liveness = Liveness::new(ctx.health.clone());
    let shutdown = ctx.shutdown.clone();

    let origins = config.origins();
    let involved: BTreeSet<Domain> = origins.union(&config.destinations).copied().collect();
    let mut providers = BTreeMap::new();
    for &domain in &involved {
        let chain = &domain_config(&config, domain)?.chain;
        let provider = connect(chain)
            .await
            .map_err(|source| ProcessorError::Connect { domain, source })?;
        providers.insert(domain, provider);
    }
    let provider = |domain: Domain| {
        providers
            .get(&domain)
            .cloned()
            .ok_or_else(|| ProcessorError::Config(format!("domain {domain} is not connected")))
    };

    let mut trees: BTreeMap<Domain, SharedTree> = BTreeMap::new();
    for &origin in &origins {
        let tree = load_tree(&store, origin).await?;
        tracing::info!(%origin, leaves = tree.count(), "origin tree loaded");
        trees.insert(origin, Arc::new(RwLock::new(tree)));
    }

    let wake = Arc::new(Notify::new());
    let mut tasks = JoinSet::new();
    for &origin in &origins {
        let domain = domain_config(&config, origin)?;
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
            store.clone(),
            Cursor::new(origin, HOME_STREAM),
            provider(origin)?,
            filter,
            domain.chain.confirmations,
        )
        .start_block(domain.start_block)
        .poll_interval(domain.chain.poll_interval())
        .metrics(chain_metrics.clone());
        let tree = trees
            .get(&origin)
            .cloned()
            .ok_or_else(|| ProcessorError::Config(format!("origin {origin} has no tree")))?;
        let task = OriginTask {
            origin,
            indexer,
            store: store.clone(),
            tree,
            served,
            wake: Arc::clone(&wake),
            metrics: metrics.clone(),
            liveness: liveness.clone(),
        };
        tasks.spawn(task.run(shutdown.clone()));
    }

    for &destination in &config.destinations {
        let domain = domain_config(&config, destination)?;
        let chain_provider = provider(destination)?;
        let mut submitter_config = SubmitterConfig::new(&domain.chain);
        submitter_config.metrics = Some(chain_metrics.clone());
        let submitter = Submitter::start(
            store.clone(),
            destination,
            chain_provider.clone(),
            signer.clone(),
            submitter_config,
            shutdown.clone(),
        )
        .await
        .map_err(|source| ProcessorError::Submitter {
            domain: destination,
            source,
        })?;

        let mut links = BTreeMap::new();
        for (origin, replica) in config.origins_of(destination) {
            let tree = trees
                .get(&origin)
                .cloned()
                .ok_or_else(|| ProcessorError::Config(format!("origin {origin} has no tree")))?;
            links.insert(origin, OriginLink { replica, tree });
        }
        let replicas: Vec<Address> = links.values().map(|link| link.replica).collect();
        let filter = Filter::new().address(replicas).event_signature(vec![
            Replica::Update::SIGNATURE_HASH,
            Replica::Processed::SIGNATURE_HASH,
            Replica::ProcessFailed::SIGNATURE_HASH,
        ]);
        let indexer = Indexer::new(
            store.clone(),
            Cursor::new(destination, REPLICAS_STREAM),
            chain_provider.clone(),
            filter,
            domain.chain.confirmations,
        )
        .start_block(domain.start_block)
        .poll_interval(domain.chain.poll_interval())
        .metrics(chain_metrics.clone());
        let task = DestinationTask {
            destination,
            provider: chain_provider,
            indexer,
            store: store.clone(),
            submitter: submitter.clone(),
            origins: links,
            batch_size: config.batch_size,
            retry: config.retry,
            metrics: metrics.clone(),
            liveness: liveness.clone(),
            wake: Arc::clone(&wake),
            poll_interval: domain.chain.poll_interval(),
            waiting: HashMap::new(),
        };
        task.seed_roots().await?;
        tasks.spawn(task.run(shutdown.clone()));

        let token = shutdown.clone();
        tasks.spawn(async move {
            submitter.stopped().await;
            if token.is_cancelled() {
                Ok(())
            } else {
                Err(ProcessorError::SubmitterStopped(destination))
            }
        });
    }

    tracing::info!(
        signer = %signer.address(),
        destinations = ?config.destinations,
        origins = ?origins,
        batch_size = config.batch_size,
        "processor running"
    );
    liveness.ok("start-up");

    let mut outcome = Ok(());
    while let Some(joined) = tasks.join_next().await {
        let result = joined.unwrap_or_else(|_| Err(ProcessorError::Panicked));
        if let Err(err) = result {
            tracing::error!(error = %err, "processor task failed; stopping");
            if outcome.is_ok() {
                outcome = Err(err);
            }
            shutdown.cancel();
        }
    }
    outcome
}
