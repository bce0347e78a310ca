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

pub use config::{RelayerConfig, Resolved, Route};
pub use error::{RelayerError, StepError};
pub use metrics::RelayerMetrics;

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use config::ResolveError;
use index::HomeIndexer;
use nxtp_agent::{Agent, AgentContext, Cursor, Store, TelemetryConfig};
use nxtp_bindings::Home;
use nxtp_chain::{connect, ChainConfig, ChainMetrics, Indexer, Submitter, SubmitterConfig};
use nxtp_primitives::{Domain, HomeSigningDomain};
use recent::OriginFeed;
use relay::RouteRelay;
use std::collections::BTreeMap;
use task::{drive, Board};
use tokio::{sync::watch, task::JoinSet};

/// The message relayer agent, for [`nxtp_agent::run`].
#[derive(Debug)]
pub struct MessageRelayer;

impl Agent for MessageRelayer {
    const NAME: &'static str = "message-relayer";
    type Config = RelayerConfig;
    type Error = RelayerError;

    fn telemetry(config: &RelayerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: RelayerConfig, ctx: AgentContext) -> Result<(), RelayerError> {
        let resolved = config.resolve()?;
        let signer = config.signer.load().map_err(RelayerError::Signer)?;
        let mut schemas = nxtp_chain::SCHEMAS.to_vec();
        schemas.push(store::SCHEMA);
        let store = Store::open(&config.database, &schemas).map_err(RelayerError::Database)?;
        let chains = Chains::connect(&resolved).await?;

        let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
        let metrics = RelayerMetrics::register(&ctx.metrics)?;
        let shutdown = ctx.shutdown.child_token();

        let mut indexers = Vec::new();
        let mut notifiers = BTreeMap::new();
        for origin in &resolved.origins {
            let (provider, chain) = chains.get(origin.domain)?;
            let filter = Filter::new()
                .address(origin.home)
                .event_signature(Home::Update::SIGNATURE_HASH);
            let cursor = Cursor::new(origin.domain, index::STREAM);
            let indexer = Indexer::new(
                store.clone(),
                cursor,
                provider.clone(),
                filter,
                chain.confirmations,
            )
            .start_block(origin.start_block)
            .metrics(chain_metrics.clone());
            let (sender, receiver) = watch::channel(0u64);
            notifiers.insert(origin.domain, receiver);
            indexers.push(HomeIndexer::new(
                origin.domain,
                indexer,
                store.clone(),
                sender,
                metrics.clone(),
                chain.poll_interval(),
            ));
        }

        let mut submitters: BTreeMap<Domain, Submitter> = BTreeMap::new();
        let mut relays = Vec::new();
        for route in &resolved.routes {
            let (provider, chain) = chains.get(route.destination)?;
            let submitter = match submitters.get(&route.destination) {
                Some(submitter) => submitter.clone(),
                None => {
                    let mut submitter_config = SubmitterConfig::new(chain);
                    submitter_config.metrics = Some(chain_metrics.clone());
                    let submitter = Submitter::start(
                        store.clone(),
                        route.destination,
                        provider.clone(),
                        signer.clone(),
                        submitter_config,
                        shutdown.clone(),
                    )
                    .await
                    .map_err(|source| RelayerError::Submitter {
                        domain: route.destination,
                        source,
                    })?;
                    submitters.insert(route.destination, submitter.clone());
                    submitter
                }
            };
            // Every route's origin has an indexer, made above from the same routes.
            let recorded = notifiers
                .get(&route.origin)
                .cloned()
                .ok_or(ResolveError::MissingChain(route.origin))?;
            let (origin_provider, origin_chain) = chains.get(route.origin)?;
            let origin = resolved
                .origins
                .iter()
                .find(|origin| origin.domain == route.origin)
                .copied()
                .ok_or(ResolveError::MissingChain(route.origin))?;
            relays.push(RouteRelay::new(
                *route,
                provider.clone(),
                OriginFeed {
                    origin,
                    signing: HomeSigningDomain::new(
                        origin.domain,
                        origin_chain.chain_id,
                        origin.home,
                    ),
                    provider: origin_provider.clone(),
                    recorded,
                    finality: origin_chain.finality,
                },
                store.clone(),
                submitter,
                metrics.clone(),
                chain.poll_interval(),
            ));
        }

        let names = indexers
            .iter()
            .map(|task| task::Step::name(task).to_owned())
            .chain(relays.iter().map(|task| task::Step::name(task).to_owned()));
        let board = Board::new(ctx.health.clone(), names.collect::<Vec<_>>());
        tracing::info!(
            origins = resolved.origins.len(),
            routes = resolved.routes.len(),
            relayer = %signer.address(),
            "message relayer started"
        );
        let mut tasks = JoinSet::new();
        for task in indexers {
            tasks.spawn(drive(task, board.clone(), shutdown.clone()));
        }
        for task in relays {
            tasks.spawn(drive(task, board.clone(), shutdown.clone()));
        }
        // The first task to fail stops the others.
        let mut outcome = Ok(());
        while let Some(joined) = tasks.join_next().await {
            let result = joined.unwrap_or(Err(RelayerError::Panicked));
            if let Err(err) = result {
                shutdown.cancel();
                if outcome.is_ok() {
                    outcome = Err(err);
                }
            }
        }
        outcome
    }
}

/// A checked provider for every domain relayed from or to.
struct Chains<'a> {
    resolved: &'a Resolved,
    providers: BTreeMap<Domain, DynProvider>,
}

impl<'a> Chains<'a> {
    /// Connects to every chain (checking its chain id) and checks that every Home and Replica
    /// the relayer uses is deployed.
    async fn connect(resolved: &'a Resolved) -> Result<Self, RelayerError> {
        let mut providers = BTreeMap::new();
        for (&domain, chain) in &resolved.chains {
            let provider = connect(chain)
                .await
                .map_err(|source| RelayerError::Connect { domain, source })?;
            providers.insert(domain, provider);
        }
        let chains = Self {
            resolved,
            providers,
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

    /// The provider and settings of `domain`'s chain.
    fn get(&self, domain: Domain) -> Result<(&DynProvider, &ChainConfig), RelayerError> {
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
) -> Result<(), RelayerError> {
    let code = provider
        .get_code_at(address)
        .await
        .map_err(|source| RelayerError::StartupRead {
            domain,
            address,
            source: nxtp_chain::without_url(source),
        })?;
    if code.is_empty() {
        return Err(RelayerError::NoContract {
            domain,
            what,
            address,
        });
    }
    Ok(())
}
