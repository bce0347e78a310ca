//! The bids a node holds for transfers not decided yet: those posted to its own API, and those
//! its peers forwarded. The proposer builds each batch from its pool.

use crate::value::SignedBid;
use alloy::primitives::{Address, B256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{futures::Notified, Notify};

/// When a proposer closes auctions: its policy, not a validity rule (a voter never refuses a
/// batch because of its own clock).
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// How long a proposer with nothing to decide waits for a bid (or for an auction window
    /// to pass) before proposing an empty batch, so an idle network does not spin.
    pub idle_wait: Duration,
    /// How long after this node first held a bid on a transfer its auction stays open to
    /// more bids; zero closes it as soon as the bids held cover the amount.
    pub auction_window: Duration,
}

/// The bids held for one transfer, and when this node first held one.
#[derive(Debug)]
struct Held {
    first_seen: Instant,
    bids: BTreeMap<(Address, u32), SignedBid>,
}

type Bids = BTreeMap<B256, Held>;

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
    /// are checked when a batch is built and again by every node, not here. The first bid on a
    /// transfer opens its auction window on this node.
    pub fn add(&self, transfer_id: B256, bid: SignedBid) {
        self.lock()
            .entry(transfer_id)
            .or_insert_with(|| Held {
                first_seen: Instant::now(),
                bids: BTreeMap::new(),
            })
            .bids
            .insert((bid.router, bid.path_length), bid);
        self.added.notify_waiters();
    }

    /// The bids held on transfers whose first bid came at least `window` ago: the auctions a
    /// proposer may close.
    pub fn ripe(&self, window: Duration) -> Vec<(B256, Vec<SignedBid>)> {
        self.lock()
            .iter()
            .filter(|(_, held)| held.first_seen.elapsed() >= window)
            .map(|(id, held)| (*id, held.bids.values().cloned().collect()))
            .collect()
    }

    /// How long until the next transfer still in its `window` becomes ripe; `None` when none
    /// is waiting.
    pub fn next_ripe_in(&self, window: Duration) -> Option<Duration> {
        self.lock()
            .values()
            .map(|held| window.saturating_sub(held.first_seen.elapsed()))
            .filter(|left| !left.is_zero())
            .min()
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Bytes;

    fn bid(router: u8) -> SignedBid {
        SignedBid {
            router: Address::repeat_byte(router),
            path_length: 1,
            signature: Bytes::from_static(&[1; 65]),
        }
    }

    #[test]
    fn a_transfer_is_ripe_once_its_window_from_the_first_bid_passed() {
        let pool = BidPool::new();
        let window = Duration::from_millis(200);
        pool.add(B256::repeat_byte(1), bid(1));
        assert!(pool.ripe(window).is_empty(), "still in its window");
        assert_eq!(
            pool.ripe(Duration::ZERO).len(),
            1,
            "no window: ripe at once"
        );
        let left = pool.next_ripe_in(window).expect("one waiting");
        assert!(left <= window && !left.is_zero());

        std::thread::sleep(window);
        // A later bid does not reopen the window.
        pool.add(B256::repeat_byte(1), bid(2));
        let ripe = pool.ripe(window);
        assert_eq!(ripe.len(), 1);
        assert_eq!(ripe[0].1.len(), 2, "both bids");
        assert_eq!(pool.next_ripe_in(window), None);

        pool.forget([B256::repeat_byte(1)]);
        assert!(pool.is_empty());
    }
}
