//! The relayer: an HTTP service that sends `Connext.execute` and `Replica.process` calls for
//! whoever posts them (the sequencer, the slow-path executor), and reports how each ended.
//!
//! A job is checked to be exactly one such call and is sent only to the contract the
//! configuration names for its domain (see [`calls`]). It is recorded under its id (see
//! [`nxtp_api::relayer::job_id`]) before it is handed to its domain's
//! [`Submitter`](nxtp_chain::Submitter), which simulates it (a reverting call fails the job with
//! the contract's decoded error), signs it with the next persistent nonce, bumps its fees while
//! it lingers, and follows it to confirmation. The submitter's operation is keyed by the job id,
//! so posting a job twice, or restarting the relayer at any instant, never sends it twice; a job
//! that failed is attempted again when posted again.
//!
//! Run it with `nxtp_agent::run::<Relayer>(config_path)`; [`serve`] runs it on a listener the
//! caller bound.

pub mod calls;
pub mod config;
mod error;
mod http;
pub mod jobs;
pub mod metrics;
mod revert;
pub mod store;

pub use config::{ApiConfig, DomainConfig, RelayerConfig};
pub use error::RelayerError;
pub use metrics::RelayerMetrics;

use jobs::{DomainKeys, Jobs};
use nxtp_agent::{
    Agent, AgentContext, CancellationToken, Health, HttpLimits, Store, TaskSet, TelemetryConfig,
};
use nxtp_chain::{connect, ChainMetrics, Heads, StartError, Submitter, SubmitterConfig};
use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

/// How often jobs in flight are looked at, for the metrics and logs of their outcomes.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// The relayer agent; see the crate docs.
#[derive(Debug)]
pub struct Relayer;

impl Agent for Relayer {
    const NAME: &'static str = "relayer";
    type Config = RelayerConfig;
    type Error = RelayerError;

    fn telemetry(config: &RelayerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: RelayerConfig, ctx: AgentContext) -> Result<(), RelayerError> {
        let addr = config.api.listen;
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|source| StartError::Bind { addr, source })?;
        serve(config, ctx, listener).await
    }
}

/// The job API's HTTP limits: the shared defaults, but bodies up to 512 KiB, since an execute
/// carries the transfer's `callData`, which only the origin's transaction size bounds (128 KiB,
/// twice that as hex).
pub const API_LIMITS: HttpLimits = HttpLimits {
    max_body_bytes: 512 * 1024,
    header_read_timeout: HttpLimits::HEADER_READ_TIMEOUT,
    body_read_timeout: HttpLimits::BODY_READ_TIMEOUT,
    max_connections: HttpLimits::MAX_CONNECTIONS,
    max_connections_per_peer: HttpLimits::MAX_CONNECTIONS_PER_PEER,
};

/// Runs the relayer with its job API on `listener` (instead of binding `config.api.listen`)
/// until `ctx.shutdown`.
pub async fn serve(
    config: RelayerConfig,
    ctx: AgentContext,
    listener: std::net::TcpListener,
) -> Result<(), RelayerError> {
    let (listener, addr) = into_tokio(listener, config.api.listen)?;
    let mut signers = Vec::with_capacity(config.signers.len());
    for source in &config.signers {
        signers.push(source.load()?);
    }
    let mut seen = BTreeSet::new();
    if let Some(repeated) = signers.iter().find(|key| !seen.insert(key.address())) {
        // Two submitters of one key would hand out its nonces twice.
        return Err(RelayerError::RepeatedKey(repeated.address()));
    }
    let schemas = [nxtp_chain::submitter::SCHEMA, store::SCHEMA];
    let store = Store::open(&config.database, &schemas)?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let metrics = RelayerMetrics::register(&ctx.metrics)?;
    let health = ctx.health.clone();

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    let mut submitters = BTreeMap::new();
    for (&domain, domain_config) in &config.domains {
        let chain = &domain_config.chain;
        let provider = connect(chain).await.map_err(StartError::connect(domain))?;
        // One head follower per domain, shared by its keys' submitters.
        let heads = Heads::follow(domain, provider.clone(), chain.poll_interval());
        let mut keys = Vec::with_capacity(signers.len());
        for key in &signers {
            let submitter_config = SubmitterConfig::new(chain)
                .with_metrics(chain_metrics.clone())
                .with_heads(heads.clone())
                .with_parallel_simulations(config.parallel_simulations)
                .with_max_in_flight(config.max_in_flight_per_key);
            let submitter = Submitter::start(
                store.clone(),
                domain,
                provider.clone(),
                key.clone(),
                submitter_config,
                tasks.shutdown(),
            )
            .await
            .map_err(StartError::submitter(domain))?;
            // A submitter that stops on its own can no longer send this domain's jobs.
            let watch = submitter.clone().watch(tasks.shutdown());
            let stopped = move |_| RelayerError::from(StartError::SubmitterStopped(domain));
            let name = format!("submitter {domain} {}", key.address());
            tasks.spawn(name, async move { watch.await.map_err(stopped) });
            keys.push((key.address(), submitter));
        }
        if let Some(keys) = DomainKeys::new(keys) {
            submitters.insert(domain, keys);
        }
    }

    let jobs = Jobs::new(
        config.domains.clone(),
        submitters,
        store,
        metrics,
        tasks.shutdown(),
    );
    let jobs = Arc::new(jobs);
    let resumed = jobs.resume().await.map_err(RelayerError::Resume)?;
    if resumed > 0 {
        tracing::info!(jobs = resumed, "handed over jobs recorded before a restart");
    }
    let (app, token) = (http::router(Arc::clone(&jobs)), tasks.shutdown());
    tasks.spawn("job API", async move {
        let served = nxtp_agent::http::serve(listener, app, API_LIMITS, token).await;
        served.map_err(RelayerError::Serve)
    });
    tasks.spawn("jobs", follow_jobs(jobs, health.clone(), tasks.shutdown()));

    let addresses: Vec<String> = signers
        .iter()
        .map(|key| key.address().to_string())
        .collect();
    tracing::info!(
        signers = ?addresses,
        max_in_flight_per_key = ?config.max_in_flight_per_key,
        parallel_simulations = config.parallel_simulations,
        api = %addr,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        "relayer running"
    );
    health.ok("start-up");
    tasks.join().await
}

/// `listener` as a tokio listener, and the address it is bound to (`configured` names it in an
/// error).
fn into_tokio(
    listener: std::net::TcpListener,
    configured: SocketAddr,
) -> Result<(tokio::net::TcpListener, SocketAddr), RelayerError> {
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: configured,
        source,
    })?;
    let bind_error = |source| StartError::Bind { addr, source };
    listener.set_nonblocking(true).map_err(bind_error)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(bind_error)?;
    Ok((listener, addr))
}

/// Looks at the jobs in flight every [`FOLLOW_INTERVAL`] until `shutdown`, for the metrics and
/// logs of their outcomes; a failed look is reported on `/health` and tried again.
async fn follow_jobs(
    jobs: Arc<Jobs>,
    health: Health,
    shutdown: CancellationToken,
) -> Result<(), RelayerError> {
    loop {
        match jobs.follow().await {
            Ok(_) => health.ok("jobs"),
            Err(err) => {
                tracing::warn!(error = %err, "cannot follow jobs");
                health.failing("jobs", &err);
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(FOLLOW_INTERVAL) => {}
        }
    }
}
