//! Follows the logs of some contracts on one chain, in order, exactly as far as the chain is
//! confirmed, surviving restarts and reorgs.
//!
//! Delivery is at least once: [`Indexer::poll`] hands out the logs of the next confirmed block
//! range as a [`Batch`]; the agent handles them and calls [`Batch::commit`] inside the same
//! SQLite transaction as its own writes. A crash before that commit re-delivers the batch, never
//! skips it, so handlers must be idempotent (as every agent's are, see the protocol's §5).
//!
//! Reorgs: only blocks at least `confirmations` deep are read, so a shallower reorg is never
//! seen. Before reading on, the indexer checks that the newest block it delivered is still on
//! the chain. If it is not, a *deep* reorg replaced delivered blocks: the indexer reports it
//! loudly (an `error!` log, a metric, and [`Batch::reorg`]), walks back through the hashes it
//! remembers to the newest block still on the chain, and re-delivers from the block after it.
//!
//! RPC cost: with the agent's shared [`Heads`], the hashes of the blocks read and of the anchor
//! come from the follower's [`Tip`] (linked parent to child, so of one branch) instead of
//! `eth_getBlockByNumber`, and a range of one block (the usual case: one new head, one newly
//! confirmed block) is read with `eth_getLogs` by its hash, which answers for exactly that block:
//! one request per new block. Blocks whose headers say they used no gas hold no log and are not
//! read at all, so an idle chain costs the indexer nothing. A wider range (catching up, or after
//! blocks the follower never saw) is read by number and its last block read again after, as
//! without a tip.

mod follow;
mod store;

pub use follow::Follower;
pub use store::{newest_hash, HASH_HISTORY, SCHEMA};

use crate::{
    heads::{Heads, Tip},
    metrics::ChainMetrics,
    provider::without_url,
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::B256,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    transports::TransportError,
};
use nxtp_agent::{
    storage::{Cursor, StorageError, Store},
    CancellationToken, Classify,
};
use nxtp_primitives::Domain;
use rusqlite::Connection;
use std::{ops::RangeInclusive, sync::Arc, time::Duration};

/// Default upper bound on the blocks one `eth_getLogs` covers; public endpoints commonly refuse
/// wider ranges.
pub const DEFAULT_MAX_BLOCK_RANGE: u64 = 2000;

/// Why the indexer could not go on.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// An RPC call failed; [`Indexer::next_batch`] retries these.
    #[error("{method} on chain {chain} failed: {source}")]
    Rpc {
        /// The chain.
        chain: Domain,
        /// The JSON-RPC method.
        method: &'static str,
        /// The transport's error, with any URL stripped.
        source: TransportError,
    },
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The endpoint returned a log without its block (a pending log), which a confirmed range
    /// never holds.
    #[error("chain {chain} returned a log without block number or hash")]
    PendingLog {
        /// The chain.
        chain: Domain,
    },
    /// A reorg replaced every block hash the stream remembers, so there is no known block to
    /// resume after. Needs an operator: the chain's history is not what the agent acted on.
    #[error(
        "chain {chain} replaced every block stream {stream} remembers (the oldest is {oldest}); \
         cannot find where to resume"
    )]
    ReorgBeyondHistory {
        /// The chain.
        chain: Domain,
        /// The stream.
        stream: String,
        /// The oldest remembered block, also replaced.
        oldest: u64,
    },
}

impl Classify for IndexerError {
    /// Only RPC failures pass: polling again later may succeed.
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Rpc { .. })
    }
}

/// A reorg that replaced blocks the indexer had already delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeepReorg {
    /// The newest delivered block that is no longer on the chain.
    pub replaced_block: u64,
    /// Its hash when it was delivered.
    pub replaced_hash: B256,
    /// The first block delivered again: the one after the newest remembered block still on
    /// the chain (the actual fork may be later; re-delivering a few more blocks is harmless).
    pub resume_from: u64,
}

/// The logs of one confirmed block range, in chain order.
#[derive(Clone, Debug)]
#[must_use = "a batch is delivered again until it is committed"]
pub struct Batch {
    /// The logs matching the indexer's filter.
    pub logs: Vec<Log>,
    /// Set when this batch re-delivers blocks after a deep reorg.
    pub reorg: Option<DeepReorg>,
    blocks: RangeInclusive<u64>,
    cursor: Cursor,
    /// Hashes of the blocks of the range that the indexer saw (the last block, and every
    /// block with a log), to check on the next poll.
    hashes: Vec<(u64, B256)>,
}

impl Batch {
    /// The block range covered, both ends included.
    pub fn blocks(&self) -> RangeInclusive<u64> {
        self.blocks.clone()
    }

    /// Marks the batch handled: moves the stream's cursor past it and records its block hashes.
    /// Call it inside the transaction that records the handling, so both happen or neither.
    /// Committing the same batch twice is harmless; batches must be committed in poll order.
    pub fn commit(&self, conn: &Connection) -> rusqlite::Result<()> {
        let next = self.blocks.end().saturating_add(1);
        self.cursor.set(conn, next)?;
        store::record_hashes(conn, &self.cursor, *self.blocks.start(), &self.hashes)
    }
}

/// What reading a range found.
enum Read {
    Batch(Batch),
    /// The block delivery continues from is gone: a deep reorg.
    AnchorReplaced,
    /// The chain changed while the range was read; reading again later is consistent.
    Moved,
}

/// Follows the logs selected by one filter on one chain; see the module docs.
#[derive(Debug)]
pub struct Indexer {
    store: Store,
    cursor: Cursor,
    provider: DynProvider,
    filter: Filter,
    confirmations: u64,
    start_block: u64,
    max_block_range: u64,
    poll_interval: Duration,
    metrics: Option<ChainMetrics>,
    /// The last deep reorg reported, so a batch polled again before its commit does not
    /// report it twice.
    reported: Option<DeepReorg>,
    /// Where the head comes from when the agent shares one follower per chain (otherwise each
    /// poll asks the node).
    heads: Option<Heads>,
    /// The head the last poll saw.
    seen_head: Option<u64>,
}

impl Indexer {
    /// An indexer for the logs `filter` selects (addresses, topics; its block range is ignored),
    /// whose position is `cursor` in `store`, reading blocks `confirmations` deep. The store
    /// must have been opened with [`SCHEMA`]. Starts at block 0 unless [`Self::start_block`]
    /// says otherwise.
    pub fn new(
        store: Store,
        cursor: Cursor,
        provider: DynProvider,
        filter: Filter,
        confirmations: u64,
    ) -> Self {
        Self {
            store,
            cursor,
            provider,
            filter,
            confirmations,
            start_block: 0,
            max_block_range: DEFAULT_MAX_BLOCK_RANGE,
            poll_interval: Duration::from_millis(crate::config::DEFAULT_POLL_INTERVAL_MS),
            metrics: None,
            reported: None,
            heads: None,
            seen_head: None,
        }
    }

    /// The first block to read when the stream has no cursor yet (e.g. the contracts'
    /// deployment block).
    pub fn start_block(mut self, block: u64) -> Self {
        self.start_block = block;
        self
    }

    /// The most blocks one `eth_getLogs` may cover (at least 1).
    pub fn max_block_range(mut self, blocks: u64) -> Self {
        self.max_block_range = blocks.max(1);
        self
    }

    /// The pause of [`Self::next_batch`] and of a [`Follower`] when there is nothing new, and
    /// the base of their backoff.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Takes the head from `heads` (the agent's shared follower of this chain) instead of
    /// asking the node on every poll; a [`Follower`] then also wakes as soon as the head moves.
    pub fn heads(mut self, heads: Heads) -> Self {
        self.heads = Some(heads);
        self
    }

    /// Where to count delivered logs and deep reorgs.
    pub fn metrics(mut self, metrics: ChainMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The stream's cursor.
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// The next confirmed range's logs, or `None` when no new block is confirmed yet (or the
    /// chain changed while reading; the next poll reads consistently). Reads the position
    /// from the store each time, so an uncommitted batch is simply polled again.
    pub async fn poll(&mut self) -> Result<Option<Batch>, IndexerError> {
        let cursor = self.cursor.clone();
        let (stored, anchor) = self
            .store
            .call(move |conn| Ok((cursor.get(conn)?, newest_hash(conn, &cursor)?)))
            .await?;
        let position = stored.unwrap_or(self.start_block);
        let (head, tip) = match &self.heads {
            Some(heads) => {
                let tip = heads
                    .tip()
                    .await
                    .map_err(self.rpc("eth_getBlockByNumber"))?;
                (tip.number(), Some(tip))
            }
            None => {
                let head = self
                    .provider
                    .get_block_number()
                    .await
                    .map_err(self.rpc("eth_blockNumber"))?;
                (head, None)
            }
        };
        self.seen_head = Some(head);
        let Some(safe) = head.checked_sub(self.confirmations) else {
            return Ok(None);
        };
        // A chain behind the cursor (a lagging endpoint, or a reorg to a shorter branch) is
        // checked once it has grown past the cursor again.
        if safe < position {
            return Ok(None);
        }
        match self.read(position, safe, anchor, tip.as_deref()).await? {
            Read::Batch(batch) => Ok(Some(batch)),
            Read::Moved => Ok(None),
            Read::AnchorReplaced => self.recover(safe, tip).await,
        }
    }

    /// Polls until a batch is ready or `shutdown` is cancelled (then `None`), pausing the poll
    /// interval between empty polls and backing off on RPC errors, which it logs and retries.
    /// Other errors are returned. A task that handles batch after batch should keep one
    /// [`Follower`] instead, so the backoff outlives a single batch.
    pub async fn next_batch(
        &mut self,
        shutdown: &CancellationToken,
    ) -> Result<Option<Batch>, IndexerError> {
        Follower::new("indexer poll failed")
            .next(self, shutdown)
            .await
    }

    /// Reads the logs of blocks `first..` up to `safe` (bounded by the range limit), checking
    /// that they extend `anchor`, the newest block delivered before them. Hashes the follower's
    /// `tip` holds are taken from it rather than read (see the module docs).
    async fn read(
        &self,
        first: u64,
        safe: u64,
        anchor: Option<(u64, B256)>,
        tip: Option<&Tip>,
    ) -> Result<Read, IndexerError> {
        let last = safe.min(first.saturating_add(self.max_block_range - 1));
        // The tip's hashes are all of one branch: the last block and the anchor taken from it
        // are checked against each other without a request.
        let known = tip.and_then(|tip| Some((tip, tip.hash_of(last)?)));
        let last_hash = match known {
            Some((_, hash)) => hash,
            None => match self.block_hash(last).await? {
                Some(hash) => hash,
                None => return Ok(Read::Moved),
            },
        };
        let mut anchor_checked = false;
        if let (Some((tip, _)), Some((number, hash))) = (known, anchor) {
            if let Some(on_tip) = tip.hash_of(number) {
                if on_tip != hash {
                    return Ok(Read::AnchorReplaced);
                }
                anchor_checked = true;
            }
        }
        // Blocks whose headers say they used no gas hold no transaction, so no log: a range of
        // only such blocks, all on the tip with the anchor, needs no request at all (an idle
        // chain's every block).
        let anchored = anchor_checked || anchor.is_none();
        if let Some((tip, _)) = known {
            if anchored && (first..=last).all(|number| tip.used_no_gas(number)) {
                let hashes = vec![(last, last_hash)];
                return Ok(Read::Batch(self.batch(first..=last, Vec::new(), hashes)));
            }
        }
        // One block known by hash: `eth_getLogs` by that hash answers for exactly that block,
        // whatever the chain did since, so nothing needs reading again.
        let by_hash = known.is_some() && first == last;
        let filter = if by_hash {
            self.filter.clone().at_block_hash(last_hash)
        } else {
            self.filter.clone().from_block(first).to_block(last)
        };
        let logs = match self.provider.get_logs(&filter).await {
            Ok(logs) => logs,
            Err(err) => {
                // A node no longer serving a block the tip holds: the chain moved since the tip
                // was seen, if the block is gone; the failure stands otherwise.
                if by_hash && self.block_hash(last).await? != Some(last_hash) {
                    tracing::debug!(
                        chain = %self.cursor.chain,
                        block = last,
                        error = %without_url(err),
                        "the chain moved past the tip"
                    );
                    return Ok(Read::Moved);
                }
                return Err(self.rpc("eth_getLogs")(err));
            }
        };
        // Checked after reading the logs: if the anchor and the last block are both on the
        // chain now, and the last block was before, the logs came from the branch that extends
        // the anchor.
        if let (false, Some((number, hash))) = (anchor_checked, anchor) {
            if self.block_hash(number).await? != Some(hash) {
                return Ok(Read::AnchorReplaced);
            }
        }
        // By hash, with the anchor on the tip too, the logs are of a block that extends the
        // anchor; otherwise the last block must still be on the chain, as it was before.
        let consistent = by_hash && anchored;
        if !consistent && self.block_hash(last).await? != Some(last_hash) {
            return Ok(Read::Moved);
        }

        let mut hashes: Vec<(u64, B256)> = Vec::new();
        for log in &logs {
            let (Some(number), Some(hash)) = (log.block_number, log.block_hash) else {
                return Err(IndexerError::PendingLog {
                    chain: self.cursor.chain,
                });
            };
            let expected = match known {
                Some((tip, _)) => tip.hash_of(number),
                None => (number == last).then_some(last_hash),
            };
            if expected.is_some_and(|expected| expected != hash) {
                return Ok(Read::Moved);
            }
            if hashes.last().map(|(recorded, _)| *recorded) != Some(number) {
                hashes.push((number, hash));
            }
        }
        if hashes.last().map(|(recorded, _)| *recorded) != Some(last) {
            hashes.push((last, last_hash));
        }

        Ok(Read::Batch(self.batch(first..=last, logs, hashes)))
    }

    /// The batch of `blocks`, counted in the metrics.
    fn batch(
        &self,
        blocks: RangeInclusive<u64>,
        logs: Vec<Log>,
        hashes: Vec<(u64, B256)>,
    ) -> Batch {
        if let Some(metrics) = &self.metrics {
            metrics.logs_delivered(self.cursor.chain, &self.cursor.stream, logs.len());
            metrics.indexed_block(self.cursor.chain, &self.cursor.stream, *blocks.end());
        }
        Batch {
            logs,
            reorg: None,
            blocks,
            cursor: self.cursor.clone(),
            hashes,
        }
    }

    /// The newest delivered block left the chain: finds the newest remembered block still on
    /// it, reports the reorg, and re-delivers from the block after it.
    async fn recover(
        &mut self,
        safe: u64,
        tip: Option<Arc<Tip>>,
    ) -> Result<Option<Batch>, IndexerError> {
        let cursor = self.cursor.clone();
        let remembered = self
            .store
            .call(move |conn| store::recorded_hashes(conn, &cursor))
            .await?;
        let Some(&(replaced_block, replaced_hash)) = remembered.first() else {
            return Ok(None);
        };
        let mut ancestor = None;
        for &(number, hash) in &remembered {
            let on_chain = match tip.as_deref().and_then(|tip| tip.hash_of(number)) {
                Some(on_tip) => Some(on_tip),
                None => self.block_hash(number).await?,
            };
            if on_chain == Some(hash) {
                ancestor = Some((number, hash));
                break;
            }
        }
        let resume_from = match ancestor {
            Some((number, _)) => number + 1,
            // Nothing was forgotten yet, so every block this stream delivered is suspect.
            None if (remembered.len() as u64) < HASH_HISTORY => self.start_block,
            None => {
                return Err(IndexerError::ReorgBeyondHistory {
                    chain: self.cursor.chain,
                    stream: self.cursor.stream.to_string(),
                    oldest: remembered
                        .last()
                        .map_or(replaced_block, |(number, _)| *number),
                })
            }
        };
        let reorg = DeepReorg {
            replaced_block,
            replaced_hash,
            resume_from,
        };
        self.report(&reorg);
        match self
            .read(resume_from, safe, ancestor, tip.as_deref())
            .await?
        {
            Read::Batch(mut batch) => {
                batch.reorg = Some(reorg);
                Ok(Some(batch))
            }
            // The chain is still moving; the next poll finds the reorg again.
            Read::AnchorReplaced | Read::Moved => Ok(None),
        }
    }

    fn report(&mut self, reorg: &DeepReorg) {
        if self.reported.as_ref() == Some(reorg) {
            return;
        }
        tracing::error!(
            chain = %self.cursor.chain,
            stream = %self.cursor.stream,
            replaced_block = reorg.replaced_block,
            replaced_hash = %reorg.replaced_hash,
            resume_from = reorg.resume_from,
            confirmations = self.confirmations,
            "deep reorg: the chain replaced blocks whose logs were already delivered; \
             re-delivering from the fork"
        );
        if let Some(metrics) = &self.metrics {
            metrics.deep_reorg(self.cursor.chain, &self.cursor.stream);
        }
        self.reported = Some(reorg.clone());
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, IndexerError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(self.rpc("eth_getBlockByNumber"))?;
        Ok(block.map(|block| block.header.hash))
    }

    fn rpc(&self, method: &'static str) -> impl FnOnce(TransportError) -> IndexerError {
        let chain = self.cursor.chain;
        move |source| IndexerError::Rpc {
            chain,
            method,
            source: without_url(source),
        }
    }
}
