//! Reads one origin's Home `Update` events at its confirmation depth and records them, in the
//! same transaction as the indexer's cursor; then wakes the routes of that origin.

use crate::{
    error::StepError,
    metrics::MessageRelayerMetrics,
    store::{self, HomeUpdate},
    task::{Next, Step},
};
use alloy::{primitives::Bytes, rpc::types::Log};
use nxtp_agent::Store;
use nxtp_bindings::Home;
use nxtp_chain::Indexer;
use nxtp_primitives::Domain;
use std::time::Duration;
use tokio::sync::watch;

/// The indexer stream (per origin chain) of the Home's confirmed `Update` events.
pub(crate) const STREAM: &str = "home-updates";

/// The task that indexes one origin's Home.
#[derive(Debug)]
pub(crate) struct HomeIndexer {
    name: String,
    origin: Domain,
    indexer: Indexer,
    store: Store,
    /// Bumped after new updates are recorded; the origin's routes watch it.
    recorded: watch::Sender<u64>,
    metrics: MessageRelayerMetrics,
    poll_interval: Duration,
}

impl HomeIndexer {
    /// A task recording `origin`'s Home updates that `indexer` delivers.
    pub(crate) fn new(
        origin: Domain,
        indexer: Indexer,
        store: Store,
        recorded: watch::Sender<u64>,
        metrics: MessageRelayerMetrics,
        poll_interval: Duration,
    ) -> Self {
        Self {
            name: format!("index {origin}"),
            origin,
            indexer,
            store,
            recorded,
            metrics,
            poll_interval,
        }
    }
}

/// The update in `log`, if it is a well-formed `Update` event.
pub(crate) fn decode(origin: Domain, log: &Log) -> Option<HomeUpdate> {
    let event = log.log_decode::<Home::Update>().ok()?;
    let data = event.inner.data;
    Some(HomeUpdate {
        origin,
        old_root: data.oldRoot,
        new_root: data.newRoot,
        signature: Bytes::from(data.signature.to_vec()),
        block: log.block_number?,
        log_index: log.log_index?,
    })
}

impl Step for HomeIndexer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn step(&mut self) -> Result<Next, StepError> {
        let Some(batch) = self.indexer.poll().await? else {
            return Ok(Next::Idle);
        };
        let origin = self.origin;
        let updates: Vec<HomeUpdate> = batch
            .logs
            .iter()
            .filter_map(|log| {
                let decoded = decode(origin, log);
                if decoded.is_none() {
                    tracing::warn!(%origin, ?log, "undecodable Update event ignored");
                }
                decoded
            })
            .collect();
        let count = updates.len();
        let reorg = batch.reorg.clone();
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                if let Some(reorg) = &reorg {
                    store::forget_updates_from(&tx, origin, reorg.resume_from)?;
                }
                for update in &updates {
                    store::record_update(&tx, update)?;
                }
                batch.commit(&tx)?;
                tx.commit()
            })
            .await?;
        if count > 0 {
            self.metrics.indexed(origin, count);
            tracing::debug!(%origin, count, "recorded Home updates");
            self.recorded
                .send_modify(|version| *version = version.wrapping_add(1));
        }
        Ok(Next::Now)
    }

    async fn idle(&mut self) {
        tokio::time::sleep(self.poll_interval).await;
    }

    fn retry_delay(&self) -> Duration {
        self.poll_interval
    }
}
