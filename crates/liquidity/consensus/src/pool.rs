//! The bids a node holds for transfers not decided yet: those posted to its own API, and those
//! its peers forwarded. The proposer builds each batch from its pool.

use crate::value::SignedBid;
use alloy::primitives::{Address, B256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{futures::Notified, Notify};

type Bids = BTreeMap<B256, BTreeMap<(Address, u32), SignedBid>>;

/// A node's pending bids, shared by its API and its consensus loop; clones share the pool.
#[derive(Clone, Debug, Default)]
pub struct BidPool {
    bids: Arc<Mutex<Bids>>,
    added: Arc<Notify>,
}

impl BidPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bids> {
        // A panic while holding the lock left the map consistent: each operation is one call.
        self.bids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a bid (replacing the same router's earlier bid for the same path length). Bids
    /// are checked when a batch is built and again by every node, not here.
    pub fn add(&self, transfer_id: B256, bid: SignedBid) {
        self.lock()
            .entry(transfer_id)
            .or_default()
            .insert((bid.router, bid.path_length), bid);
        self.added.notify_waiters();
    }

    /// The bids held, by transfer.
    pub fn snapshot(&self) -> Vec<(B256, Vec<SignedBid>)> {
        self.lock()
            .iter()
            .map(|(id, bids)| (*id, bids.values().cloned().collect()))
            .collect()
    }

    /// Forgets the bids of transfers that were decided.
    pub fn forget(&self, transfer_ids: impl IntoIterator<Item = B256>) {
        let mut bids = self.lock();
        for id in transfer_ids {
            bids.remove(&id);
        }
    }

    /// Whether the pool holds no bid.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Completes once a bid is added after this call (even if first polled later).
    pub fn added(&self) -> Notified<'_> {
        self.added.notified()
    }
}
