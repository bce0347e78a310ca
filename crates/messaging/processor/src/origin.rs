//! Follows one origin's Home: every `Dispatch` (whatever its destination, since one tree holds
//! them all) and every `Checkpointed` root, into the database and the origin's in-memory tree.

use crate::{
    error::ProcessorError,
    metrics::ProcessorMetrics,
    store::{self, NewCheckpoint, NewLeaf},
};
use alloy::{primitives::B256, rpc::types::Log, sol_types::SolEvent};
use nxtp_agent::{CancellationToken, Health, Store};
use nxtp_bindings::Home;
use nxtp_chain::{Batch, Follower, Indexer};
use nxtp_primitives::{Domain, MerkleTree};
use rusqlite::OptionalExtension;
use std::{
    collections::BTreeSet,
    sync::{Arc, PoisonError, RwLock},
};
use tokio::sync::Notify;

/// An origin's tree, shared by its indexing task (the only writer) and the destinations' tasks.
pub(crate) type SharedTree = Arc<RwLock<MerkleTree>>;

/// Rebuilds `origin`'s tree from the database.
pub(crate) async fn load_tree(store: &Store, origin: Domain) -> Result<MerkleTree, ProcessorError> {
    let leaves = store.call(move |conn| store::leaves(conn, origin)).await?;
    let mut tree = MerkleTree::new();
    for (index, leaf) in leaves {
        if index != tree.count() {
            return Err(ProcessorError::LeafGap {
                origin,
                expected: tree.count(),
                found: index,
            });
        }
        tree.insert(leaf)
            .map_err(|source| ProcessorError::Tree { origin, source })?;
    }
    Ok(tree)
}

/// The task following one origin's Home.
pub(crate) struct OriginTask {
    pub(crate) origin: Domain,
    pub(crate) indexer: Indexer,
    pub(crate) store: Store,
    pub(crate) tree: SharedTree,
    /// Served destinations: messages to these are recorded for delivery.
    pub(crate) served: BTreeSet<Domain>,
    /// Woken when new leaves or roots are recorded.
    pub(crate) wake: Arc<Notify>,
    pub(crate) metrics: ProcessorMetrics,
    pub(crate) health: Health,
}

/// What one batch of Home logs holds.
struct HomeEvents {
    leaves: Vec<NewLeaf>,
    checkpoints: Vec<NewCheckpoint>,
}

/// What recording a batch did to the leaves.
enum Recorded {
    /// These leaves follow the tree's current ones.
    Appended(Vec<B256>),
    /// A reorg replaced leaves: the tree must be rebuilt from the database.
    Rewritten,
}

impl OriginTask {
    /// Follows the Home until `shutdown`; transient RPC failures are retried with backoff.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), ProcessorError> {
        let mut follower = Follower::new("cannot read the Home")
            .health(self.health.clone(), format!("home {}", self.origin));
        while let Some(batch) = follower.next(&mut self.indexer, &shutdown).await? {
            self.handle(batch).await?;
        }
        Ok(())
    }

    async fn handle(&mut self, batch: Batch) -> Result<(), ProcessorError> {
        let events = self.decode(&batch.logs)?;
        let origin = self.origin;
        let served = self.served.clone();
        let reorg_from = batch.reorg.as_ref().map(|reorg| reorg.resume_from);
        let new_leaves = events.leaves.len();
        let recorded = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                if let Some(from) = reorg_from {
                    store::forget_from(&tx, origin, from)?;
                }
                let mut next: u32 = tx
                    .prepare_cached(
                        "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM processor_leaves
                     WHERE origin = ?1",
                    )?
                    .query_row([origin.get()], |row| row.get(0))?;
                let mut fresh = Vec::new();
                for leaf in events.leaves {
                    if leaf.index < next {
                        // Delivered again (a batch re-polled after a crash): must be identical.
                        let known: Option<[u8; 32]> = tx
                            .prepare_cached(
                                "SELECT leaf FROM processor_leaves
                                 WHERE origin = ?1 AND leaf_index = ?2",
                            )?
                            .query_row(rusqlite::params![origin.get(), leaf.index], |row| {
                                row.get(0)
                            })
                            .optional()?;
                        if known.map(B256::from) != Some(leaf.leaf) {
                            return Ok(Err(ProcessorError::LeafConflict {
                                origin,
                                index: leaf.index,
                            }));
                        }
                        continue;
                    }
                    if leaf.index > next {
                        return Ok(Err(ProcessorError::LeafGap {
                            origin,
                            expected: next,
                            found: leaf.index,
                        }));
                    }
                    next += 1;
                    fresh.push(leaf);
                }
                store::record_home_events(&tx, origin, &fresh, &events.checkpoints, &served)?;
                batch.commit(&tx)?;
                tx.commit()?;
                Ok(Ok(if reorg_from.is_some() {
                    Recorded::Rewritten
                } else {
                    Recorded::Appended(fresh.iter().map(|leaf| leaf.leaf).collect())
                }))
            })
            .await??;

        match recorded {
            Recorded::Appended(leaves) => {
                let mut tree = self.tree.write().unwrap_or_else(PoisonError::into_inner);
                for leaf in &leaves {
                    tree.insert(*leaf)
                        .map_err(|source| ProcessorError::Tree { origin, source })?;
                }
                self.metrics.leaves_indexed(origin, leaves.len());
            }
            Recorded::Rewritten => {
                let rebuilt = load_tree(&self.store, origin).await?;
                tracing::warn!(
                    %origin,
                    leaves = rebuilt.count(),
                    "rebuilt the origin's tree after a deep reorg"
                );
                *self.tree.write().unwrap_or_else(PoisonError::into_inner) = rebuilt;
                self.metrics.leaves_indexed(origin, new_leaves);
            }
        }
        self.wake.notify_waiters();
        Ok(())
    }

    fn decode(&self, logs: &[Log]) -> Result<HomeEvents, ProcessorError> {
        let mut events = HomeEvents {
            leaves: Vec::new(),
            checkpoints: Vec::new(),
        };
        for log in logs {
            let block = log.block_number.unwrap_or_default();
            let bad = |event: &'static str, reason: String| ProcessorError::BadEvent {
                origin: self.origin,
                event,
                block,
                reason,
            };
            match log.topic0() {
                Some(&Home::Dispatch::SIGNATURE_HASH) => {
                    let event = log
                        .log_decode::<Home::Dispatch>()
                        .map_err(|err| bad("Dispatch", err.to_string()))?
                        .inner
                        .data;
                    let index = u32::try_from(event.leafIndex)
                        .map_err(|_| bad("Dispatch", format!("leaf index {}", event.leafIndex)))?;
                    events.leaves.push(NewLeaf {
                        index,
                        leaf: event.leaf,
                        destination: Domain(event.destination),
                        message: event.message,
                        block,
                    });
                }
                Some(&Home::Checkpointed::SIGNATURE_HASH) => {
                    let event = log
                        .log_decode::<Home::Checkpointed>()
                        .map_err(|err| bad("Checkpointed", err.to_string()))?
                        .inner
                        .data;
                    let count = u32::try_from(event.count)
                        .map_err(|_| bad("Checkpointed", format!("count {}", event.count)))?;
                    events.checkpoints.push(NewCheckpoint {
                        root: event.root,
                        count,
                        block,
                    });
                }
                _ => {}
            }
        }
        Ok(events)
    }
}
