//! The slow-path executor: completes the transfers no router fronted.
//!
//! It follows every domain's `Connext` (see [`store`] for what is kept): the
//! params of every `XCalled`, and every `Reconciled` whose router list is empty, which on the
//! destination means the message arrived before any router fronted the transfer. For each such
//! transfer still `Reconciled` on its destination, it posts the slow path's execute
//! (`ExecuteArgs { params, routers: [], routerSignatures: [], sequencer: 0, sequencerSignature:
//! "" }`) to the relayer, recording the job id first, and follows the job until it is confirmed;
//! a job that fails while the transfer still waits is posted again after a backoff (the relayer
//! attempts a failed job again when it is posted again).
//!
//! Safe to kill at any instant: events are recorded with the indexer's cursor in one
//! transaction, each transfer is one row, and posting a job is idempotent.
//!
//! Run it with `nxtp_agent::run::<Executor>(config_path)`.

pub mod config;
mod error;
mod execute;
mod index;
pub mod metrics;
pub mod store;

pub use config::{DomainConfig, ExecutorConfig, RetryPolicy};
pub use error::ExecutorError;
pub use execute::FEE_BELOW_FLOOR;
pub use metrics::ExecutorMetrics;

use alloy::{primitives::B256, sol_types::SolEvent};
use execute::{Destination, ExecuteTask};
use index::IndexTask;
use nxtp_agent::{Agent, AgentContext, Store, TaskSet, TelemetryConfig};
use nxtp_api::relayer::RelayerClient;
use nxtp_bindings::Connext;
use nxtp_chain::ChainMetrics;
use nxtp_liquidity::ConnectedDomain;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The indexer stream (per chain) of a `Connext`'s events.
pub const CONNEXT_STREAM: &str = "executor/connext";

/// The `Connext` events followed: transfers leaving a domain, transfers reconciled on it with no
/// routers, and the native fees paid there.
const CONNEXT_EVENTS: [B256; 3] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::Reconciled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
];

/// The longest pause between two looks at the transfers in flight.
const EXECUTE_INTERVAL: Duration = Duration::from_secs(1);

/// The executor agent; see the crate docs.
#[derive(Debug)]
pub struct Executor;

impl Agent for Executor {
    const NAME: &'static str = "executor";
    type Config = ExecutorConfig;
    type Error = ExecutorError;

    fn telemetry(config: &ExecutorConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: ExecutorConfig, ctx: AgentContext) -> Result<(), ExecutorError> {
        run(config, ctx).await
    }
}

async fn run(config: ExecutorConfig, ctx: AgentContext) -> Result<(), ExecutorError> {
    let store = Store::open(
        &config.database,
        &[nxtp_chain::indexer::SCHEMA, store::SCHEMA],
    )?;
    let relayer = RelayerClient::new(config.relayer_url.clone()).map_err(ExecutorError::Relayer)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = ExecutorMetrics::register(&ctx.metrics)?;
    let health = ctx.health.clone();
    let wake = Arc::new(Notify::new());

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    let mut destinations = BTreeMap::new();
    let mut poll_interval = EXECUTE_INTERVAL;
    let chains = nxtp_liquidity::connect_all(&config.domains).await?;
    let valuation = config
        .relayer_fee_assets
        .resolve("relayer_fee_assets", &chains)
        .await?;
    for (domain, chain) in chains {
        let ConnectedDomain {
            config: domain_config,
            provider,
        } = chain;
        let task = IndexTask {
            domain,
            indexer: domain_config.indexer(
                domain,
                CONNEXT_STREAM,
                CONNEXT_EVENTS.to_vec(),
                &store,
                provider.clone(),
                &chain_metrics,
            ),
            store: store.clone(),
            metrics: metrics.clone(),
            health: health.clone(),
            wake: Arc::clone(&wake),
        };
        tasks.spawn(format!("connext {domain}"), task.run(tasks.shutdown()));
        poll_interval = poll_interval.min(domain_config.chain.poll_interval());
        let connext = domain_config.connext;
        destinations.insert(domain, Destination { provider, connext });
    }

    let task = ExecuteTask {
        store,
        relayer,
        destinations,
        retry: config.retry,
        min_relayer_fee: config.min_relayer_fee,
        valuation,
        skipped: std::sync::Mutex::default(),
        metrics,
        health: health.clone(),
        wake,
        poll_interval,
    };
    let token = tasks.shutdown();
    tasks.spawn("execute", async move { Ok(task.run(token).await?) });

    tracing::info!(
        relayer = %config.relayer_url,
        min_relayer_fee = %config.min_relayer_fee,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        "executor running"
    );
    health.ok("start-up");
    tasks.join().await
}
