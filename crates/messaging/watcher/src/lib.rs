//! The watcher: the one honest party the optimistic messaging layer relies on.
//!
//! It follows every Home's and every Replica's `Update` events on every configured domain, at a
//! low confirmation depth (a signature is evidence whatever becomes of the block that carried
//! it, and the response must land before the optimistic window ends), and remembers each signed
//! `(origin, old root → new root)`. A Replica update whose new root the origin's Home never
//! produced is an improper update; two different new roots signed over one old root are a
//! double update. Either way it proves the fraud at the origin's Home (failing it and slashing
//! the updater's bond) and, on every domain holding a Replica of that origin, signs a notice
//! naming the updater and that Replica and submits it to the domain's `ConnectionManager`,
//! which halts the Replica at once. See [`fraud`] for the response's state machine; everything
//! is recorded in SQLite and sent through the [`Submitter`](nxtp_chain::Submitter) under
//! idempotent keys, so a restart neither repeats nor forgets a response.

pub mod config;
mod error;
pub mod fraud;
pub mod metrics;
mod respond;
pub mod store;
mod watch;

pub use config::{WatchedDomain, WatcherConfig};
pub use error::WatcherError;
pub use metrics::WatcherMetrics;

use alloy::{rpc::types::Filter, sol_types::SolEvent};

use alloy::{providers::DynProvider, signers::local::PrivateKeySigner};
use nxtp_agent::{
    Agent, AgentContext, CancellationToken, Cursor, Health, Store, TaskSet, TelemetryConfig,
};
use nxtp_bindings::Home;
use nxtp_chain::{connect, ChainMetrics, Heads, Indexer, StartError, Submitter, SubmitterConfig};
use nxtp_primitives::{Domain, HomeSigningDomain, ManagerSigningDomain};
use respond::{DomainLink, Responder};
use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};
use tokio::sync::Notify;
use watch::{HomeReader, WatchTask};

/// The indexer stream (per chain) of the `Update` events of its Home and Replicas.
pub const UPDATES_STREAM: &str = "watcher/updates";

/// The first pause before a failed response transaction is attempted again.
const RETRY_DELAY: Duration = Duration::from_secs(2);

/// The watcher agent; run it with `nxtp_agent::run::<Watcher>(config_path)`.
#[derive(Debug)]
pub struct Watcher;

impl Agent for Watcher {
    const NAME: &'static str = "watcher";
    type Config = WatcherConfig;
    type Error = WatcherError;

    fn telemetry(config: &WatcherConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: WatcherConfig, ctx: AgentContext) -> Result<(), WatcherError> {
        run(config, ctx).await
    }
}

async fn run(config: WatcherConfig, ctx: AgentContext) -> Result<(), WatcherError> {
    let signer = config.signer.load()?;
    let store = nxtp_chain::open_store(&config.database, &[store::SCHEMA])?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = WatcherMetrics::register(&ctx.metrics)?;
    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    let connected = connect_all(&config, &signer, &store, &chain_metrics, tasks.shutdown());
    let (homes, links) = connected.await?;
    let links = Arc::new(links);
    let wiring = Wiring {
        store: store.clone(),
        chain_metrics,
        metrics: metrics.clone(),
        health: ctx.health.clone(),
        homes: Arc::new(homes),
        responder_wake: Arc::new(Notify::new()),
    };
    let mut fastest_poll = Duration::from_secs(1);
    for (&domain, watched) in config.domains.iter() {
        let link = links
            .get(&domain)
            .ok_or_else(|| WatcherError::Config(format!("domain {domain} is not connected")))?;
        fastest_poll = fastest_poll.min(watched.chain.poll_interval());
        let heads = wiring
            .homes
            .get(&domain)
            .map(|home| home.heads.clone())
            .ok_or_else(|| WatcherError::Config(format!("domain {domain} is not connected")))?;
        let task = wiring.watch_task(domain, watched, link.provider.clone(), heads);
        tasks.spawn(format!("watch {domain}"), task.run(tasks.shutdown()));
        let stopped = link.submitter.clone().watch(tasks.shutdown());
        tasks.spawn(format!("submitter {domain}"), async move {
            stopped
                .await
                .map_err(|_| WatcherError::from(StartError::SubmitterStopped(domain)))
        });
    }
    let responder = Responder {
        store: store.clone(),
        signer: signer.clone(),
        domains: Arc::clone(&links),
        metrics,
        health: ctx.health.clone(),
        wake: wiring.responder_wake,
        poll_interval: fastest_poll,
        retry_delay: RETRY_DELAY,
    };
    tasks.spawn("responses", responder.run(tasks.shutdown()));
    let domains: Vec<Domain> = config.domains.keys().copied().collect();
    tracing::info!(signer = %signer.address(), ?domains, "watcher running");
    ctx.health.ok("start-up");
    tasks.join().await
}

/// Connects to every watched domain, starts its submitter (stopping on `shutdown`), and
/// returns how to read each Home and how to respond on each domain.
async fn connect_all(
    config: &WatcherConfig,
    signer: &PrivateKeySigner,
    store: &Store,
    chain_metrics: &ChainMetrics,
    shutdown: CancellationToken,
) -> Result<(BTreeMap<Domain, HomeReader>, BTreeMap<Domain, DomainLink>), WatcherError> {
    let mut links = BTreeMap::new();
    let mut homes = BTreeMap::new();
    for (&domain, watched) in config.domains.iter() {
        let provider = connect(&watched.chain)
            .await
            .map_err(StartError::connect(domain))?;
        // The chain's head, followed once for every task reading it.
        let heads = Heads::follow(domain, provider.clone(), watched.chain.poll_interval());
        let submitter = Submitter::start(
            store.clone(),
            domain,
            provider.clone(),
            signer.clone(),
            SubmitterConfig::new(&watched.chain)
                .with_metrics(chain_metrics.clone())
                .with_heads(heads.clone()),
            shutdown.clone(),
        )
        .await
        .map_err(StartError::submitter(domain))?;
        homes.insert(
            domain,
            HomeReader {
                home: watched.home,
                provider: provider.clone(),
                heads,
                signing: HomeSigningDomain::new(domain, watched.chain.chain_id, watched.home),
            },
        );
        links.insert(
            domain,
            DomainLink {
                provider,
                submitter,
                home: watched.home,
                connection_manager: watched.connection_manager,
                manager_signing: ManagerSigningDomain::new(
                    watched.chain.chain_id,
                    watched.connection_manager,
                ),
                origins: watched.replicas.keys().copied().collect(),
            },
        );
    }
    Ok((homes, links))
}

/// What the watcher's tasks are made of.
struct Wiring {
    store: Store,
    chain_metrics: ChainMetrics,
    metrics: WatcherMetrics,
    health: Health,
    /// Every origin's Home.
    homes: Arc<BTreeMap<Domain, HomeReader>>,
    /// Wakes the responder when fraud is recorded.
    responder_wake: Arc<Notify>,
}

impl Wiring {
    /// The task following the `Update` events of `domain`'s Home and Replicas.
    fn watch_task(
        &self,
        domain: Domain,
        watched: &WatchedDomain,
        provider: DynProvider,
        heads: Heads,
    ) -> WatchTask {
        let mut addresses = vec![watched.home];
        addresses.extend(watched.replicas.values().copied());
        // Home and Replica declare the same `Update` event: one topic selects both.
        let filter = Filter::new()
            .address(addresses)
            .event_signature(Home::Update::SIGNATURE_HASH);
        let indexer = Indexer::new(
            self.store.clone(),
            Cursor::new(domain, UPDATES_STREAM),
            provider.clone(),
            filter,
            watched.chain.confirmations,
        )
        .start_block(watched.start_block)
        .poll_interval(watched.chain.poll_interval())
        .metrics(self.chain_metrics.clone())
        .heads(heads.clone());
        let replicas: HashMap<_, _> = watched
            .replicas
            .iter()
            .map(|(&origin, &replica)| (replica, origin))
            .collect();
        WatchTask {
            domain,
            indexer,
            provider,
            store: self.store.clone(),
            home: watched.home,
            replicas,
            homes: Arc::clone(&self.homes),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
            responder: Arc::clone(&self.responder_wake),
            poll_interval: watched.chain.poll_interval(),
            first_seen: HashMap::new(),
            open: BTreeMap::new(),
            origin_heads: HashMap::new(),
            reloaded: false,
            untracked: Vec::new(),
            heads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_bindings::Replica;

    #[test]
    fn home_and_replica_updates_share_one_topic() {
        assert_eq!(
            Home::Update::SIGNATURE_HASH,
            Replica::Update::SIGNATURE_HASH
        );
    }
}
