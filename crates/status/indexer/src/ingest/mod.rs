//! Follows one domain's `Connext`, `Home` and Replicas with one `nxtp_chain::Indexer` (its
//! confirmation depth, its persistent cursor, its reorg detection), decodes each batch into
//! typed records ([`events`]) and hands them to the store with the batch's cursor.
//!
//! A deep reorg (one deeper than the confirmations) re-delivers blocks: everything this domain
//! wrote from the first re-delivered block on is forgotten in the same write as the new batch
//! ([`Change::forget_from`]), so the database never keeps an event of a dropped block.
//!
//! Each record carries its block's timestamp (from the log when the node includes it, else from
//! the block, fetched by hash so it is the block the log came from). A Replica's `Update`
//! carries the root's `confirmAt`, read from the Replica at the event's block.

pub mod events;

pub use events::{Event, LogMeta, Source};

use crate::{
    error::IndexerAgentError,
    store::{Change, Recorded, StatusStore, StoreError},
};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
};
use nxtp_agent::{CancellationToken, Cursor, Health};
use nxtp_bindings::Replica;
use nxtp_chain::{Batch, ChainMetrics, Follower, Indexer};
use nxtp_primitives::Domain;
use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

/// The cursor stream (per chain) of the indexer.
pub const STREAM: &str = "indexer/events";

/// The contracts followed on one domain.
#[derive(Clone, Debug)]
pub struct Contracts {
    /// The domain's `Connext`.
    pub connext: Address,
    /// The domain's `Home`.
    pub home: Address,
    /// Its Replicas, by origin.
    pub replicas: BTreeMap<Domain, Address>,
}

impl Contracts {
    /// Which contract `address` is.
    fn source(&self, address: Address) -> Option<Source> {
        if address == self.connext {
            return Some(Source::Connext);
        }
        if address == self.home {
            return Some(Source::Home);
        }
        self.replicas
            .iter()
            .find(|(_, &replica)| replica == address)
            .map(|(&origin, _)| Source::Replica { origin })
    }

    /// The filter selecting every followed event of these contracts.
    pub fn filter(&self) -> Filter {
        let mut addresses = vec![self.connext, self.home];
        addresses.extend(self.replicas.values().copied());
        Filter::new()
            .address(addresses)
            .event_signature(events::all_topics())
    }
}

/// What a batch could not be turned into records for; retried unless it is a bad event.
#[derive(Debug, thiserror::Error)]
enum DecodeError {
    /// An RPC call of the ingest (a block's time, a root's confirm time) failed.
    #[error("{0}")]
    Rpc(String),
    /// An event that cannot be used: stops the indexer.
    #[error(transparent)]
    Bad(#[from] nxtp_bindings::BadEvent),
}

/// The task following one domain.
pub struct IngestTask {
    /// The domain.
    pub domain: Domain,
    /// Its contracts.
    pub contracts: Contracts,
    /// Its chain.
    pub provider: DynProvider,
    /// Where records go.
    pub store: Arc<dyn StatusStore>,
    /// Where progress is reported.
    pub health: Health,
    /// The indexer's counters.
    pub metrics: ChainMetrics,
    /// The domain's chain settings: confirmations, poll interval.
    pub chain: nxtp_chain::ChainConfig,
    /// Where reading starts.
    pub start_block: u64,
}

impl IngestTask {
    /// The health stream of the task.
    pub fn stream(domain: Domain) -> String {
        format!("ingest {domain}")
    }

    /// Follows the domain until `shutdown`; RPC and PostgreSQL failures are retried with
    /// backoff.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), IndexerAgentError> {
        let mut indexer = Indexer::new(
            self.store.cursors().clone(),
            Cursor::new(self.domain, STREAM),
            self.provider.clone(),
            self.contracts.filter(),
            self.chain.confirmations,
        )
        .start_block(self.start_block)
        .poll_interval(self.chain.poll_interval())
        .metrics(self.metrics.clone());
        let mut follower = Follower::new("cannot index the domain")
            .health(self.health.clone(), Self::stream(self.domain));
        while let Some(batch) = follower.next(&mut indexer, &shutdown).await? {
            match self.ingest(batch).await {
                Ok(()) => {}
                Err(IngestFailure::Retry(reason)) => follower.failed(reason),
                Err(IngestFailure::Stop(err)) => return Err(err),
            }
        }
        Ok(())
    }

    async fn ingest(&self, batch: Batch) -> Result<(), IngestFailure> {
        let forget_from = batch.reorg.as_ref().map(|reorg| {
            tracing::warn!(domain = %self.domain, ?reorg, "deep reorg: forgetting what the replaced blocks wrote");
            reorg.resume_from
        });
        let records = self.decode(&batch.logs).await.map_err(|err| match err {
            DecodeError::Rpc(reason) => IngestFailure::Retry(reason),
            DecodeError::Bad(bad) => IngestFailure::Stop(bad.into()),
        })?;
        let count = records.len();
        let change = Change {
            domain: self.domain,
            forget_from,
            records,
        };
        let store = Arc::clone(&self.store);
        let blocks = batch.blocks();
        let written = tokio::task::spawn_blocking(move || store.apply(&change, Some(&batch)))
            .await
            .map_err(|err| {
                IngestFailure::Stop(
                    StoreError::Panicked(nxtp_agent::tasks::join_error_message(err)).into(),
                )
            })?;
        match written {
            Ok(()) => {
                if count > 0 {
                    tracing::debug!(domain = %self.domain, ?blocks, events = count, "indexed");
                }
                Ok(())
            }
            // A server that went away may come back: retry the batch.
            Err(err @ StoreError::Postgres(_)) => Err(IngestFailure::Retry(err.to_string())),
            Err(err) => Err(IngestFailure::Stop(err.into())),
        }
    }

    /// Decodes `logs` into records with their times (and Replica roots' confirm times).
    async fn decode(&self, logs: &[Log]) -> Result<Vec<Recorded>, DecodeError> {
        let mut times: HashMap<B256, u64> = HashMap::new();
        let mut records = Vec::with_capacity(logs.len());
        for log in logs {
            let Some(source) = self.contracts.source(log.address()) else {
                continue;
            };
            let Some(mut event) = events::decode(log, source, self.domain)? else {
                continue;
            };
            let block = log.block_number.unwrap_or_default();
            let block_hash = log.block_hash.unwrap_or_default();
            let timestamp = match (log.block_timestamp, times.get(&block_hash)) {
                (Some(timestamp), _) | (None, Some(&timestamp)) => timestamp,
                (None, None) => {
                    let timestamp = self.block_time(block_hash).await?;
                    times.insert(block_hash, timestamp);
                    timestamp
                }
            };
            if let (
                Source::Replica { .. },
                Event::Update {
                    new_root,
                    confirm_at,
                    ..
                },
            ) = (source, &mut event)
            {
                *confirm_at = Some(
                    self.confirm_at(log.address(), *new_root, block_hash)
                        .await?,
                );
            }
            records.push(Recorded {
                meta: LogMeta {
                    domain: self.domain,
                    block,
                    log_index: log.log_index.unwrap_or_default(),
                    tx_hash: log.transaction_hash.unwrap_or_default(),
                    timestamp,
                },
                event,
            });
        }
        Ok(records)
    }

    async fn block_time(&self, hash: B256) -> Result<u64, DecodeError> {
        let block = self
            .provider
            .get_block_by_hash(hash)
            .await
            .map_err(|err| {
                DecodeError::Rpc(format!(
                    "eth_getBlockByHash: {}",
                    nxtp_chain::without_url(err)
                ))
            })?
            .ok_or_else(|| DecodeError::Rpc(format!("block {hash} is gone (a reorg)")))?;
        Ok(block.header.timestamp)
    }

    async fn confirm_at(
        &self,
        replica: Address,
        root: B256,
        block_hash: B256,
    ) -> Result<u64, DecodeError> {
        let at = Replica::new(replica, &self.provider)
            .confirmAt(root)
            .block(BlockId::hash(block_hash))
            .call()
            .await
            .map_err(|err| {
                DecodeError::Rpc(format!(
                    "Replica.confirmAt: {}",
                    nxtp_chain::contract_without_url(err)
                ))
            })?;
        Ok(u64::try_from(at).unwrap_or(u64::MAX))
    }
}

/// How handling a batch failed.
enum IngestFailure {
    /// Retry the batch later, for this reason.
    Retry(String),
    /// Stop the indexer.
    Stop(IndexerAgentError),
}
