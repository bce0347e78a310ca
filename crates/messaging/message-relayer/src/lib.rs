//! The message relayer agent: copies every update a Home accepts (old root, new root, the
//! updater's signature) to the Replica of that origin on every other domain.
//!
//! One task per origin indexes its Home's `Update` events at the origin's confirmation depth
//! and records them in SQLite in chain order (with the indexer's cursor, in one transaction).
//! One task per route (origin, destination) reads the Replica's committed root and replays the
//! recorded updates from there, one transaction at a time, each sent once the previous one is
//! mined; a Replica several updates behind is caught up in order, one already there is left
//! alone.
//!
//! An update not confirmed yet (in a recent block, or the updater's transaction still pending)
//! is relayed too: a Replica needs nothing but the updater's signature over a root the Home
//! produced, whatever block carries it; see `recent`. Everything recorded in the database still
//! comes from the confirmed index. Whatever its source, an update is relayed only once its new
//! root is checkpointed at the origin's final block (the origin chain's `finality`).
//!
//! Safe to kill at any instant: updates are recorded before the cursor moves past them, and
//! each relay is a submitter operation keyed by `relay:<origin>:<destination>:<new_root>`, so a
//! restart resumes the same transaction rather than sending another. See [`config`] for the
//! configuration file.

pub mod config;
pub mod error;
mod index;
pub mod metrics;
mod recent;
mod relay;
pub mod store;
mod task;

pub use config::{MessageRelayerConfig, Resolved, Route};
pub use error::{MessageRelayerError, StepError};
pub use metrics::MessageRelayerMetrics;

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use config::ResolveError;
use index::HomeIndexer;
use nxtp_agent::{Agent, AgentContext, CancellationToken, Cursor, Store, TaskSet, TelemetryConfig};
use nxtp_bindings::Home;
use nxtp_chain::{
    connect, ChainConfig, ChainMetrics, Heads, Indexer, StartError, Submitter, SubmitterConfig,
};
use nxtp_primitives::{Domain, HomeSigningDomain};
use recent::OriginFeed;
use relay::RouteRelay;
use std::collections::BTreeMap;
use task::{drive, Step};
use tokio::sync::watch;

/// The message relayer agent, for [`nxtp_agent::run`].
#[derive(Debug)]
pub struct MessageRelayer;

impl Agent for MessageRelayer {
    const NAME: &'static str = "message-relayer";
    type Config = MessageRelayerConfig;
    type Error = MessageRelayerError;

    fn telemetry(config: &MessageRelayerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(
        config: MessageRelayerConfig,
        ctx: AgentContext,
    ) -> Result<(), MessageRelayerError> {
        let resolved = config.resolve()?;
        let signer = config.signer.load().map_err(MessageRelayerError::Signer)?;
        let store = nxtp_chain::open_store(&config.database, &[store::SCHEMA])
            .map_err(MessageRelayerError::Database)?;
        let wiring = Wiring {
            chains: Chains::connect(&resolved).await?,
            store,
            chain_metrics: ChainMetrics::register(&ctx.metrics).map_err(StartError::from)?,
            metrics: MessageRelayerMetrics::register(&ctx.metrics).map_err(StartError::from)?,
        };
        let mut tasks = TaskSet::new(ctx.shutdown.child_token());
        let (indexers, recorded) = wiring.home_indexers()?;
        let relays = wiring
            .route_relays(&signer, &recorded, tasks.shutdown())
            .await?;
        let names = indexers
            .iter()
            .map(Step::name)
            .chain(relays.iter().map(Step::name));
        ctx.health
            .expect(names.map(str::to_owned).collect::<Vec<_>>());
        tracing::info!(
            origins = resolved.origins.len(),
            routes = resolved.routes.len(),
            relayer = %signer.address(),
            "message relayer started"
        );
        for task in indexers {
            let name = task.name().to_owned();
            tasks.spawn(name, drive(task, ctx.health.clone(), tasks.shutdown()));
        }
        for task in relays {
            let name = task.name().to_owned();
            tasks.spawn(name, drive(task, ctx.health.clone(), tasks.shutdown()));
        }
        tasks.join().await
    }
}

/// What the relayer's tasks are made of.
struct Wiring<'a> {
    chains: Chains<'a>,
    store: Store,
    chain_metrics: ChainMetrics,
    metrics: MessageRelayerMetrics,
}

/// Each origin's notifier: the highest update index recorded from its Home.
type Recorded = BTreeMap<Domain, watch::Receiver<u64>>;

impl Wiring<'_> {
    /// One indexer per origin, following its Home's `Update` events, and the notifiers that
    /// tell the origin's routes when it records one.
    fn home_indexers(&self) -> Result<(Vec<HomeIndexer>, Recorded), MessageRelayerError> {
        let mut indexers = Vec::new();
        let mut notifiers = BTreeMap::new();
        for origin in &self.chains.resolved.origins {
            let (provider, chain) = self.chains.get(origin.domain)?;
            let filter = Filter::new()
                .address(origin.home)
                .event_signature(Home::Update::SIGNATURE_HASH);
            let cursor = Cursor::new(origin.domain, index::STREAM);
            let indexer = Indexer::new(
                self.store.clone(),
                cursor,
                provider.clone(),
                filter,
                chain.confirmations,
            )
            .start_block(origin.start_block)
            .metrics(self.chain_metrics.clone())
            .heads(self.chains.heads(origin.domain)?);
            let (sender, receiver) = watch::channel(0u64);
            notifiers.insert(origin.domain, receiver);
            indexers.push(HomeIndexer::new(
                origin.domain,
                indexer,
                self.store.clone(),
                sender,
                self.metrics.clone(),
                chain.poll_interval(),
            ));
        }
        Ok((indexers, notifiers))
    }

    /// One relay per route, sending through one submitter per destination (started here,
    /// stopping on `shutdown`).
    async fn route_relays(
        &self,
        signer: &PrivateKeySigner,
        recorded: &Recorded,
        shutdown: CancellationToken,
    ) -> Result<Vec<RouteRelay>, MessageRelayerError> {
        let mut submitters: BTreeMap<Domain, Submitter> = BTreeMap::new();
        let mut relays = Vec::new();
        for route in &self.chains.resolved.routes {
            let (provider, chain) = self.chains.get(route.destination)?;
            let submitter = match submitters.get(&route.destination) {
                Some(submitter) => submitter.clone(),
                None => {
                    let config = SubmitterConfig::new(chain)
                        .with_metrics(self.chain_metrics.clone())
                        .with_heads(self.chains.heads(route.destination)?);
                    let submitter = Submitter::start(
                        self.store.clone(),
                        route.destination,
                        provider.clone(),
                        signer.clone(),
                        config,
                        shutdown.clone(),
                    )
                    .await
                    .map_err(|source| MessageRelayerError::Submitter {
                        domain: route.destination,
                        source,
                    })?;
                    submitters.insert(route.destination, submitter.clone());
                    submitter
                }
            };
            relays.push(RouteRelay::new(
                *route,
                provider.clone(),
                self.chains.heads(route.destination)?,
                self.origin_feed(route.origin, recorded)?,
                self.store.clone(),
                submitter,
                self.metrics.clone(),
                chain.poll_interval(),
            ));
        }
        Ok(relays)
    }

    /// What a route needs of its origin: the Home's recorded updates and its chain.
    fn origin_feed(
        &self,
        origin: Domain,
        recorded: &Recorded,
    ) -> Result<OriginFeed, MessageRelayerError> {
        // Every route's origin has an indexer, made from the same routes.
        let missing = || ResolveError::MissingChain(origin);
        let recorded = recorded.get(&origin).cloned().ok_or_else(missing)?;
        let (provider, chain) = self.chains.get(origin)?;
        let origin = self
            .chains
            .resolved
            .origins
            .iter()
            .find(|candidate| candidate.domain == origin)
            .copied()
            .ok_or_else(missing)?;
        Ok(OriginFeed {
            origin,
            signing: HomeSigningDomain::new(origin.domain, chain.chain_id, origin.home),
            provider: provider.clone(),
            heads: self.chains.heads(origin.domain)?,
            recorded,
            finality: chain.finality,
            awaiting: None,
        })
    }
}

/// A checked provider for every domain relayed from or to.
struct Chains<'a> {
    resolved: &'a Resolved,
    providers: BTreeMap<Domain, DynProvider>,
    /// Each chain's head, followed once for every task.
    heads: BTreeMap<Domain, Heads>,
}

impl<'a> Chains<'a> {
    /// Connects to every chain (checking its chain id) and checks that every Home and Replica
    /// the relayer uses is deployed.
    async fn connect(resolved: &'a Resolved) -> Result<Self, MessageRelayerError> {
        let mut providers = BTreeMap::new();
        let mut heads = BTreeMap::new();
        for (&domain, chain) in &resolved.chains {
            let provider = connect(chain)
                .await
                .map_err(|source| MessageRelayerError::Connect { domain, source })?;
            heads.insert(
                domain,
                Heads::follow(domain, provider.clone(), chain.poll_interval()),
            );
            providers.insert(domain, provider);
        }
        let chains = Self {
            resolved,
            providers,
            heads,
        };
        for origin in &resolved.origins {
            let (provider, _) = chains.get(origin.domain)?;
            require_code(provider, origin.domain, "Home".to_owned(), origin.home).await?;
        }
        for route in &resolved.routes {
            let (provider, _) = chains.get(route.destination)?;
            let what = format!("the Replica of {}", route.origin);
            require_code(provider, route.destination, what, route.replica).await?;
        }
        Ok(chains)
    }

    /// The shared head of `domain`'s chain.
    fn heads(&self, domain: Domain) -> Result<Heads, MessageRelayerError> {
        self.heads
            .get(&domain)
            .cloned()
            .ok_or_else(|| ResolveError::MissingChain(domain).into())
    }

    /// The provider and settings of `domain`'s chain.
    fn get(&self, domain: Domain) -> Result<(&DynProvider, &ChainConfig), MessageRelayerError> {
        match (
            self.providers.get(&domain),
            self.resolved.chains.get(&domain),
        ) {
            (Some(provider), Some(chain)) => Ok((provider, chain)),
            _ => Err(ResolveError::MissingChain(domain).into()),
        }
    }
}

/// Fails unless a contract is deployed at `address`: a wrong manifest would otherwise read
/// as zeros.
async fn require_code(
    provider: &DynProvider,
    domain: Domain,
    what: String,
    address: Address,
) -> Result<(), MessageRelayerError> {
    let code =
        provider
            .get_code_at(address)
            .await
            .map_err(|source| MessageRelayerError::StartupRead {
                domain,
                address,
                source: nxtp_chain::without_url(source),
            })?;
    if code.is_empty() {
        return Err(MessageRelayerError::NoContract {
            domain,
            what,
            address,
        });
    }
    Ok(())
}
