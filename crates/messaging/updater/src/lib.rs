//! The updater agent: one per origin Home. It checkpoints the Home's messages as soon as they
//! show in its pending block ([`checkpointer`], with a key of its own), waits until a
//! checkpoint is final, and signs `(committedRoot -> newest final checkpointed root)` (EIP-712
//! `Update` for its Home: the Home's chain id, checked against the node on connect, and address), then
//! submits the signed update to the Home, for the message relayer to copy to every Replica.
//! Nothing it sends is waited for: the next update is signed over the previous one as soon as
//! that one is mined, so updates follow each other block by block.
//!
//! The one rule it must never break: two different new roots signed over one old root is a
//! provable double update that fails the Home and slashes the updater's bond. So:
//!
//! - every signature is recorded in SQLite, one per old root, before it leaves the process;
//!   after a restart only that same signature is ever sent again ([`store`]);
//! - before signing over an old root with no record (a new old root, or a lost database), it
//!   reads the Home and every Replica of its origin up to their heads for an update from that
//!   root signed by its key, and reuses one found; and it requires that its key has no pending
//!   transaction, which could carry such a signature;
//! - it signs only roots whose `Checkpointed` event is `confirmations` deep **and final** on
//!   the origin (its chain's `finality`: the node's `finalized` block, or a declared depth): a
//!   signed root whose checkpoint is reorged out would look like an improper update, and every
//!   Replica would hold messages the origin no longer has.
//!
//! Run exactly one updater per Home and key. See [`config`] for the configuration file and
//! `service` for the loop.

mod checkpointer;
pub mod config;
pub mod error;
pub mod metrics;
mod service;
pub mod store;
mod watch;

pub use checkpointer::BUSY_BLOCKS;
pub use config::{Resolved, UpdaterConfig, Watched};
pub use error::{TickError, UpdaterError};
pub use metrics::UpdaterMetrics;

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use checkpointer::Checkpointer;
use nxtp_agent::{Agent, AgentContext, Store, TaskSet, TelemetryConfig};
use nxtp_bindings::Home;
use nxtp_chain::{connect, ChainMetrics, Heads, StartError, Submitter, SubmitterConfig};
use nxtp_primitives::{Domain, HomeSigningDomain};
use service::{HomeStates, Service};
use watch::WatchedChain;

/// The updater agent, for [`nxtp_agent::run`].
#[derive(Debug)]
pub struct Updater;

impl Agent for Updater {
    const NAME: &'static str = "updater";
    type Config = UpdaterConfig;
    type Error = UpdaterError;

    fn telemetry(config: &UpdaterConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: UpdaterConfig, ctx: AgentContext) -> Result<(), UpdaterError> {
        let service = start(&config, &ctx).await?;
        let mut tasks = TaskSet::new(ctx.shutdown.clone());
        let shutdown = tasks.shutdown();
        tasks.spawn("updater", async move {
            service.run(shutdown).await.map_err(UpdaterError::Fatal)
        });
        tasks.join().await
    }
}

/// Everything that can fail on a bad configuration, checked before the first round.
async fn start(config: &UpdaterConfig, ctx: &AgentContext) -> Result<Service, UpdaterError> {
    let resolved = config.resolve()?;
    let (signer, checkpoint_signer) = load_keys(config)?;
    let store = nxtp_chain::open_store(&config.database, &[store::SCHEMA])
        .map_err(UpdaterError::Database)?;
    let home = &resolved.home;
    let home_provider = connect_home(&resolved, signer.address()).await?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics).map_err(StartError::from)?;
    let metrics = UpdaterMetrics::register(&ctx.metrics).map_err(StartError::from)?;
    let replicas = watch_replicas(&resolved, &store, &chain_metrics).await?;
    // The Home chain's head, followed once for the indexer, the rounds and both submitters.
    let home_heads = Heads::follow(
        home.domain,
        home_provider.clone(),
        home.chain.poll_interval(),
    );
    let home_chain = WatchedChain::home(
        store.clone(),
        home.domain,
        home_provider.clone(),
        home.contract,
        home.chain.confirmations,
        home.start_block,
        chain_metrics.clone(),
    )
    .with_heads(home_heads.clone());
    let submitters = HomeSubmitters {
        store: &store,
        resolved: &resolved,
        provider: &home_provider,
        config: SubmitterConfig::new(&home.chain)
            .with_metrics(chain_metrics)
            .with_heads(home_heads),
        ctx,
    };
    let submitter = submitters.start(signer.clone(), "updater").await?;
    let checkpointer = Checkpointer {
        origin: resolved.domain,
        home: home.contract,
        provider: home_provider.clone(),
        submitter: submitters
            .start(checkpoint_signer.clone(), "checkpointer")
            .await?,
        metrics: metrics.clone(),
        newest: None,
        per_block: config.checkpoints_per_block,
        handed_at: None,
        looked_at: None,
    };
    tracing::info!(
        domain = %resolved.domain,
        home = %home.contract,
        updater = %signer.address(),
        checkpointer = %checkpoint_signer.address(),
        replicas = resolved.replicas.len(),
        confirmations = home.chain.confirmations,
        finality = ?home.chain.finality,
        "updater started"
    );
    Ok(Service {
        origin: resolved.domain,
        home_address: home.contract,
        home_signing: HomeSigningDomain::new(resolved.domain, home.chain.chain_id, home.contract),
        home_chain,
        replicas,
        confirmations: home.chain.confirmations,
        finality: home.chain.finality,
        poll_interval: home.chain.poll_interval(),
        signer,
        store,
        submitter,
        metrics,
        health: ctx.health.clone(),
        idle_at: None,
        home_states: HomeStates::default(),
        checked_at_start: false,
        last_update_sent: None,
        checkpointer,
    })
}

/// The updater key and the checkpointer key, which must differ.
// Runs once at start-up, like the async steps beside it that return the same error unboxed.
#[allow(clippy::result_large_err)]
fn load_keys(config: &UpdaterConfig) -> Result<(PrivateKeySigner, PrivateKeySigner), UpdaterError> {
    let signer = config.signer.load().map_err(UpdaterError::Signer)?;
    let checkpoint_signer = config
        .checkpointer
        .load()
        .map_err(UpdaterError::Checkpointer)?;
    if checkpoint_signer.address() == signer.address() {
        return Err(UpdaterError::CheckpointerIsUpdater(signer.address()));
    }
    Ok((signer, checkpoint_signer))
}

/// Connects to the Home's chain and checks that `signer` is the Home's updater.
async fn connect_home(resolved: &Resolved, signer: Address) -> Result<DynProvider, UpdaterError> {
    let home = &resolved.home;
    let provider = connect_chain(home.domain, &home.chain).await?;
    require_code(&provider, home.domain, "home", home.contract).await?;
    let updater = Home::new(home.contract, &provider)
        .updater()
        .call()
        .await
        .map_err(|source| UpdaterError::StartupRead {
            field: "home",
            domain: home.domain,
            what: "Home.updater",
            source: nxtp_chain::contract_without_url(source),
        })?;
    if updater != signer {
        return Err(UpdaterError::NotUpdater {
            signer,
            home: home.contract,
            updater,
        });
    }
    Ok(provider)
}

/// Connects to every Replica of the origin and follows its updates.
async fn watch_replicas(
    resolved: &Resolved,
    store: &Store,
    chain_metrics: &ChainMetrics,
) -> Result<Vec<WatchedChain>, UpdaterError> {
    let mut replicas = Vec::with_capacity(resolved.replicas.len());
    for replica in &resolved.replicas {
        let provider = connect_chain(replica.domain, &replica.chain).await?;
        require_code(&provider, replica.domain, "replicas", replica.contract).await?;
        let heads = Heads::follow(
            replica.domain,
            provider.clone(),
            replica.chain.poll_interval(),
        );
        replicas.push(
            WatchedChain::replica(
                store.clone(),
                resolved.domain,
                replica.domain,
                provider,
                replica.contract,
                replica.chain.confirmations,
                replica.start_block,
                chain_metrics.clone(),
            )
            .with_heads(heads),
        );
    }
    Ok(replicas)
}

/// Starts the Home chain's transaction submitters, one per key.
struct HomeSubmitters<'a> {
    store: &'a Store,
    resolved: &'a Resolved,
    provider: &'a DynProvider,
    config: SubmitterConfig,
    ctx: &'a AgentContext,
}

impl HomeSubmitters<'_> {
    /// The submitter sending for `key`, whose `role` names it in errors.
    async fn start(
        &self,
        key: PrivateKeySigner,
        role: &'static str,
    ) -> Result<Submitter, UpdaterError> {
        let domain = self.resolved.domain;
        Submitter::start(
            self.store.clone(),
            domain,
            self.provider.clone(),
            key,
            self.config.clone(),
            self.ctx.shutdown.child_token(),
        )
        .await
        .map_err(|source| UpdaterError::Submitter {
            domain,
            role,
            source,
        })
    }
}

async fn connect_chain(
    domain: Domain,
    chain: &nxtp_chain::ChainConfig,
) -> Result<DynProvider, UpdaterError> {
    connect(chain)
        .await
        .map_err(|source| UpdaterError::Connect { domain, source })
}

/// Fails unless a contract is deployed at `address`: a wrong address would otherwise read as
/// zeros.
async fn require_code(
    provider: &DynProvider,
    domain: Domain,
    field: &'static str,
    address: Address,
) -> Result<(), UpdaterError> {
    let code = provider
        .get_code_at(address)
        .await
        .map_err(|source| UpdaterError::StartupRead {
            field,
            domain,
            what: "contract code",
            source: alloy::contract::Error::TransportError(nxtp_chain::without_url(source)),
        })?;
    if code.is_empty() {
        return Err(UpdaterError::NoContract {
            field,
            domain,
            address,
        });
    }
    Ok(())
}
