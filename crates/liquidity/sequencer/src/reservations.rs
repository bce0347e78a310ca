//! The liquidity this sequencer has committed to routers in decisions whose execute has not
//! ended yet, so auctions decided at once do not count the same balance twice (the later
//! execute would revert with `InsufficientLiquidity`).
//!
//! A router's balance is read before its execute confirms or after: an execute that ended before
//! the read began is in the balance; any other may not be. So a decision takes a [`Snapshot`]
//! before it reads balances and subtracts every commitment still open or ended since then.
//! Commitments are kept by `(destination, canonical asset)`: on one destination that names
//! exactly one local asset.

use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::Domain;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

/// The liquidity of one asset on one destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pool {
    /// The destination.
    pub destination: Domain,
    /// The asset's canonical domain.
    pub canonical_domain: u32,
    /// The asset's canonical id.
    pub canonical_id: B256,
}

/// One decision's commitment: `amount` from each of `routers`.
#[derive(Clone, Debug)]
struct Commitment {
    pool: Pool,
    routers: Vec<Address>,
    amount: U256,
    /// The sequence number of its release, once its execute ended.
    released: Option<u64>,
}

/// Every open commitment, and the released ones a snapshot taken before their release still
/// needs.
#[derive(Debug, Default)]
pub struct Reservations {
    /// Bumped by each release.
    sequence: u64,
    commitments: HashMap<B256, Commitment>,
    /// The sequence numbers snapshots were taken at, with how many are alive at each.
    snapshots: BTreeMap<u64, usize>,
}

impl Reservations {
    /// Begins a decision: commitments released after this count as open for it.
    pub fn begin(&mut self) -> u64 {
        *self.snapshots.entry(self.sequence).or_default() += 1;
        self.sequence
    }

    /// Ends a decision begun at `since`.
    pub fn end(&mut self, since: u64) {
        if let Some(count) = self.snapshots.get_mut(&since) {
            *count -= 1;
            if *count == 0 {
                self.snapshots.remove(&since);
            }
        }
        self.prune();
    }

    /// What each router has committed in `pool` as seen by a decision begun at `since`.
    pub fn committed(&self, pool: &Pool, since: u64) -> BTreeMap<Address, U256> {
        let mut committed: BTreeMap<Address, U256> = BTreeMap::new();
        for commitment in self.commitments.values() {
            let counts = commitment.released.is_none_or(|released| released > since);
            if commitment.pool == *pool && counts {
                for router in &commitment.routers {
                    let total = committed.entry(*router).or_default();
                    *total = total.saturating_add(commitment.amount);
                }
            }
        }
        committed
    }

    /// Commits `amount` from each of `routers` to `transfer_id` (replacing what it had).
    pub fn reserve(&mut self, transfer_id: B256, pool: Pool, routers: Vec<Address>, amount: U256) {
        self.commitments.insert(
            transfer_id,
            Commitment {
                pool,
                routers,
                amount,
                released: None,
            },
        );
    }

    /// `transfer_id`'s execute ended (confirmed, so it is in the balances read from now on, or
    /// failed, so it never will be), or its decision was never recorded.
    pub fn release(&mut self, transfer_id: B256) {
        self.sequence += 1;
        if let Some(commitment) = self.commitments.get_mut(&transfer_id) {
            commitment.released.get_or_insert(self.sequence);
        }
        self.prune();
    }

    /// How many commitments are kept, released or not.
    pub fn len(&self) -> usize {
        self.commitments.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.commitments.is_empty()
    }

    /// Forgets released commitments no live snapshot predates.
    fn prune(&mut self) {
        let oldest = self.snapshots.keys().next().copied();
        self.commitments.retain(|_, commitment| {
            commitment
                .released
                .is_none_or(|released| oldest.is_some_and(|since| released > since))
        });
    }
}

/// `balances` less what is `committed` (never below zero).
pub fn available(
    balances: &BTreeMap<Address, U256>,
    committed: &BTreeMap<Address, U256>,
) -> BTreeMap<Address, U256> {
    balances
        .iter()
        .map(|(router, held)| {
            let open = committed.get(router).copied().unwrap_or_default();
            (*router, held.saturating_sub(open))
        })
        .collect()
}

/// [`Reservations`] shared by the auctions and the dispatcher.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger(Arc<Mutex<Reservations>>);

impl Ledger {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Reservations> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Begins a decision; ended when the snapshot is dropped.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let since = self.lock().begin();
        Snapshot {
            ledger: self.clone(),
            since,
        }
    }
}

/// A decision in progress: taken before its balances are read.
pub(crate) struct Snapshot {
    ledger: Ledger,
    pub(crate) since: u64,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.ledger.lock().end(self.since);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(destination: u32) -> Pool {
        Pool {
            destination: Domain(destination),
            canonical_domain: 1000,
            canonical_id: B256::repeat_byte(7),
        }
    }

    fn router(byte: u8) -> Address {
        Address::repeat_byte(byte)
    }

    fn id(byte: u8) -> B256 {
        B256::repeat_byte(byte)
    }

    fn amounts(entries: &[(u8, u64)]) -> BTreeMap<Address, U256> {
        entries
            .iter()
            .map(|(byte, amount)| (router(*byte), U256::from(*amount)))
            .collect()
    }

    #[test]
    fn open_commitments_add_up_per_router_and_pool() {
        let mut ledger = Reservations::default();
        ledger.reserve(id(1), pool(2000), vec![router(1)], U256::from(60));
        ledger.reserve(
            id(2),
            pool(2000),
            vec![router(1), router(2)],
            U256::from(30),
        );
        ledger.reserve(id(3), pool(3000), vec![router(1)], U256::from(500));
        let since = ledger.begin();
        assert_eq!(
            ledger.committed(&pool(2000), since),
            amounts(&[(1, 90), (2, 30)])
        );
        assert_eq!(ledger.committed(&pool(3000), since), amounts(&[(1, 500)]));
        let mut other_asset = pool(2000);
        other_asset.canonical_id = B256::repeat_byte(8);
        assert!(ledger.committed(&other_asset, since).is_empty());
    }

    #[test]
    fn concurrent_decisions_do_not_over_commit_a_router() {
        // Router 1 holds 100; two transfers of 60 each decided at once, both on one balance read.
        let mut ledger = Reservations::default();
        let balances = amounts(&[(1, 100), (2, 100)]);
        let first = ledger.begin();
        let second = ledger.begin();
        let free = available(&balances, &ledger.committed(&pool(2000), first));
        assert_eq!(free, balances);
        ledger.reserve(id(1), pool(2000), vec![router(1)], U256::from(60));
        ledger.end(first);
        let free = available(&balances, &ledger.committed(&pool(2000), second));
        assert_eq!(
            free,
            amounts(&[(1, 40), (2, 100)]),
            "router 1 cannot cover 60 again"
        );
        ledger.end(second);
        // More committed than held (its balance dropped meanwhile): nothing is available.
        ledger.reserve(id(2), pool(2000), vec![router(1)], U256::from(60));
        let since = ledger.begin();
        let free = available(&balances, &ledger.committed(&pool(2000), since));
        assert_eq!(free, amounts(&[(1, 0), (2, 100)]));
    }

    #[test]
    fn a_release_counts_until_no_earlier_read_needs_it() {
        let mut ledger = Reservations::default();
        ledger.reserve(id(1), pool(2000), vec![router(1)], U256::from(60));
        // This decision read the balance before the execute confirmed: it must still subtract.
        let before = ledger.begin();
        ledger.release(id(1));
        assert_eq!(ledger.committed(&pool(2000), before), amounts(&[(1, 60)]));
        // A decision begun after the release reads a balance the execute already debited.
        let after = ledger.begin();
        assert!(ledger.committed(&pool(2000), after).is_empty());
        assert_eq!(ledger.len(), 1, "kept for the earlier decision");
        ledger.end(after);
        ledger.end(before);
        assert!(ledger.is_empty(), "forgotten once nobody needs it");
    }

    #[test]
    fn a_release_without_decisions_in_progress_is_forgotten_at_once() {
        let mut ledger = Reservations::default();
        ledger.reserve(id(1), pool(2000), vec![router(1)], U256::from(60));
        ledger.release(id(1));
        ledger.release(id(9));
        assert!(ledger.is_empty());
        let since = ledger.begin();
        assert!(ledger.committed(&pool(2000), since).is_empty());
    }

    #[test]
    fn a_snapshot_ends_when_dropped() {
        let ledger = Ledger::default();
        ledger
            .lock()
            .reserve(id(1), pool(2000), vec![router(1)], U256::from(60));
        let snapshot = ledger.snapshot();
        ledger.lock().release(id(1));
        assert_eq!(ledger.lock().len(), 1);
        drop(snapshot);
        assert!(ledger.lock().is_empty());
    }
}
