//! The nxtp indexer and status API (`nxtp indexer --config <file>`): the service users look at
//! to follow a transfer.
//!
//! - [`ingest`]: one task per domain follows its `Connext`, `Home` and Replicas at the chain's
//!   confirmation depth through `nxtp_chain::Indexer` (persistent cursor, reorg detection), and
//!   decodes every event into a typed record;
//! - [`store`]: where records go, one trait ([`StatusStore`]) over SQLite (default, embedded) and
//!   PostgreSQL (a `postgres://` URL), sharing every table and query;
//! - [`status`]: a transfer's stage, path, steps, routers, amounts, messaging sub-stages, ETA
//!   and wait reason, derived from its rows;
//! - [`api`]: the HTTP + JSON API over it, on the kit's hardened server, with its OpenAPI
//!   document;
//! - [`config`]: the TOML file.
//!
//! Safe to kill at any instant: with SQLite a batch's rows and its cursor commit together;
//! with PostgreSQL rows first and cursor after, every write idempotent (see [`store`]).
//!
//! Run it with `nxtp_agent::run::<IndexerAgent>(config_path)`.

pub mod api;
pub mod config;
mod error;
pub mod ingest;
pub mod status;
pub mod store;
pub mod webhooks;

pub use config::{Database, DomainConfig, IndexerConfig};
pub use error::IndexerAgentError;
pub use store::{PostgresStore, SqliteStore, StatusStore, StoreError};

use api::ApiState;
use ingest::{Contracts, IngestTask};
use nxtp_agent::{Agent, AgentContext, HttpLimits, TaskSet, TelemetryConfig};
use nxtp_chain::{ChainMetrics, StartError};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The indexer agent; see the crate docs.
#[derive(Debug)]
pub struct IndexerAgent;

impl Agent for IndexerAgent {
    const NAME: &'static str = "indexer";
    type Config = IndexerConfig;
    type Error = IndexerAgentError;

    fn telemetry(config: &IndexerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: IndexerConfig, ctx: AgentContext) -> Result<(), IndexerAgentError> {
        run(config, ctx).await
    }
}

/// Opens the configured database (creating and migrating it if needed).
pub async fn open_store(database: &Database) -> Result<Arc<dyn StatusStore>, StoreError> {
    let database = database.clone();
    tokio::task::spawn_blocking(move || -> Result<Arc<dyn StatusStore>, StoreError> {
        match database {
            Database::Sqlite(path) => Ok(Arc::new(SqliteStore::open(&path)?)),
            Database::Postgres { url, state } => Ok(Arc::new(PostgresStore::open(&url, &state)?)),
        }
    })
    .await
    .map_err(|err| StoreError::Panicked(nxtp_agent::tasks::join_error_message(err)))?
}

async fn run(config: IndexerConfig, ctx: AgentContext) -> Result<(), IndexerAgentError> {
    let store = open_store(&config.database).await?;
    let chain_metrics = ChainMetrics::register(&ctx.metrics)?;
    let health = ctx.health.clone();
    health.expect(
        config
            .domains
            .keys()
            .map(|&domain| IngestTask::stream(domain)),
    );
    let providers = nxtp_chain::connect_all(&config.domains).await?;
    let listener = TcpListener::bind(config.api_listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.api_listen,
            source,
        })?;
    let api_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.api_listen,
        source,
    })?;

    let mut tasks = TaskSet::new(ctx.shutdown.clone());
    for (domain, provider) in providers {
        let Some(domain_config) = config.domains.get(&domain) else {
            continue;
        };
        let task = IngestTask {
            domain,
            contracts: Contracts {
                connext: domain_config.connext,
                home: domain_config.home,
                replicas: domain_config.replicas.clone(),
            },
            provider,
            store: Arc::clone(&store),
            health: health.clone(),
            metrics: chain_metrics.clone(),
            chain: domain_config.chain.clone(),
            start_block: domain_config.start_block,
        };
        tasks.spawn(format!("ingest {domain}"), task.run(tasks.shutdown()));
    }
    let sequencer = config
        .sequencer_url
        .clone()
        .map(nxtp_api::sequencer::SequencerClient::new)
        .transpose()
        .map_err(|err| IndexerAgentError::Sequencer(err.to_string()))?;
    let extras = api::Extras {
        bids: api::routers::BidSource {
            sequencer,
            live_window: std::time::Duration::from_secs(config.router_live_seconds),
        },
        web_root: config.web_root.clone(),
        web_manifest: config.web_manifest.clone(),
    };
    let app = api::router_with(
        ApiState {
            store: Arc::clone(&store),
            health: health.clone(),
            domains: config.domains.keys().copied().collect(),
            webhooks: config.webhooks.clone(),
        },
        extras,
    );
    let deliverer = webhooks::Deliverer::new(Arc::clone(&store), config.webhooks.clone())
        .map_err(|err| IndexerAgentError::Webhooks(err.to_string()))?;
    let shutdown = tasks.shutdown();
    tasks.spawn("webhooks", async move {
        deliverer.run(shutdown).await;
        Ok(())
    });
    let shutdown = tasks.shutdown();
    tasks.spawn("api", async move {
        nxtp_agent::http::serve(listener, app, HttpLimits::default(), shutdown)
            .await
            .map_err(IndexerAgentError::Serve)
    });
    tracing::info!(
        database = ?config.database,
        backend = store.backend(),
        %api_addr,
        domains = ?config.domains.keys().collect::<Vec<_>>(),
        "indexer running"
    );
    tasks.join().await
}
