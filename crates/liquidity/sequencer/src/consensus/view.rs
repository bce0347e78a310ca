//! [`ChainView`]: what this node knows of the chains, as consensus asks it.

use alloy::primitives::{Address, B256, U256};
use nxtp_consensus::{
    ExecuteEnd, Observation, Pool, RouterApproval, TransferSource, TransferTerms,
};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Mutex, PoisonError, RwLock},
};

/// How many blocks' reads of each router's balance a node keeps, to confirm the observations
/// of proposers whose confirmed block lags or leads its own by up to that many reads.
pub(super) const READS_KEPT: usize = 64;

/// One balance read: the block read at (number, hash) and what it held.
pub(super) type BalanceReads = BTreeMap<u64, (B256, U256)>;

/// A balance a proposal observed that this node has not read: the pool, the router, the block
/// number and its hash.
pub(super) type WantedRead = (Pool, Address, u64, B256);

/// This node's view of the chains, as consensus asks it: what the origin says of each transfer
/// awaiting a decision, how executes ended, which routers are approved, the routers' balances at
/// recent confirmed blocks. Filled by [`super::Feed`]; read by the consensus loop when it builds
/// or checks a batch.
#[derive(Debug, Default)]
pub(crate) struct ChainView {
    pub(super) terms: RwLock<BTreeMap<B256, TransferTerms>>,
    pub(super) ended: RwLock<HashMap<B256, ExecuteEnd>>,
    pub(super) approvals: RwLock<BTreeMap<(u32, Address), bool>>,
    /// Routers a proposal named whose approval this node has not read yet.
    pub(super) wanted: Mutex<BTreeSet<(u32, Address)>>,
    /// The balances read, per pool and router, the newest [`READS_KEPT`] by block.
    pub(super) balances: RwLock<BTreeMap<(Pool, Address), BalanceReads>>,
    /// Balances a proposal observed at a block this node has not read them at.
    pub(super) wanted_balances: Mutex<BTreeSet<WantedRead>>,
}

impl ChainView {
    /// Records `router`'s balance in `pool` at block `number` (`hash`), forgetting the oldest
    /// reads past [`READS_KEPT`].
    pub(super) fn record_balance(
        &self,
        pool: Pool,
        router: Address,
        number: u64,
        hash: B256,
        balance: U256,
    ) {
        let mut balances = self
            .balances
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let reads = balances.entry((pool, router)).or_default();
        reads.insert(number, (hash, balance));
        while reads.len() > READS_KEPT {
            // The read just made stays, even when older than the rest: a proposal awaits it.
            let Some(oldest) = reads.keys().copied().find(|&block| block != number) else {
                break;
            };
            reads.remove(&oldest);
        }
    }

    /// Whether `router`'s balance in `pool` was read at block `number`.
    pub(super) fn has_read(&self, pool: &Pool, router: Address, number: u64) -> bool {
        self.balances
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(*pool, router))
            .is_some_and(|reads| reads.contains_key(&number))
    }
}

impl TransferSource for ChainView {
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
        let terms = self.terms.read().unwrap_or_else(PoisonError::into_inner);
        terms.get(transfer_id).cloned()
    }

    fn execute_ended(&self, transfer_id: &B256) -> Option<ExecuteEnd> {
        let ended = self.ended.read().unwrap_or_else(PoisonError::into_inner);
        ended.get(transfer_id).copied()
    }

    fn balance_at(&self, pool: &Pool, router: Address, block: u64, hash: B256) -> Option<U256> {
        let read = self
            .balances
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(*pool, router))
            .and_then(|reads| reads.get(&block).copied());
        match read {
            Some((read_hash, balance)) if read_hash == hash => Some(balance),
            // Another hash at that height: another branch, refused without reading again.
            Some(_) => None,
            None => {
                // Not read at that block: refused this time (a nil vote, the next round
                // re-proposes), read by the feed's next round.
                self.wanted_balances
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert((*pool, router, block, hash));
                None
            }
        }
    }

    /// Each router's newest balance, observed at the first block of the reads that have held
    /// it since: the block then stays the same from one proposal to the next while the balance
    /// does, so a node that had to read it on demand confirms it the next time (observing at the
    /// newest block would ask for a new read each time, and never be confirmed by a node that
    /// reads only on demand).
    fn balances(&self) -> Vec<Observation> {
        let balances = self.balances.read().unwrap_or_else(PoisonError::into_inner);
        balances
            .iter()
            .filter_map(|(&(pool, router), reads)| {
                let (_, &(_, balance)) = reads.last_key_value()?;
                let (&block, &(block_hash, _)) = reads
                    .iter()
                    .rev()
                    .take_while(|(_, (_, held))| *held == balance)
                    .last()?;
                Some(Observation {
                    pool,
                    router,
                    block,
                    block_hash,
                    balance,
                })
            })
            .collect()
    }
}

impl RouterApproval for ChainView {
    fn approved(&self, terms: &TransferTerms, router: Address) -> bool {
        let key = (terms.pool.destination, router);
        let known = self
            .approvals
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied();
        known.unwrap_or_else(|| {
            // Not read yet: refused this time (a nil vote, the next round re-proposes), read by
            // the feed's next round.
            self.wanted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key);
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Pool {
        Pool {
            destination: 2000,
            canonical_domain: 1000,
            canonical_id: B256::repeat_byte(0xaa),
        }
    }

    #[test]
    fn a_balance_is_confirmed_only_at_the_block_and_hash_read() {
        let view = ChainView::default();
        let router = Address::repeat_byte(1);
        let hash = B256::repeat_byte(10);
        view.record_balance(pool(), router, 10, hash, U256::from(500));
        assert_eq!(
            view.balance_at(&pool(), router, 10, hash),
            Some(U256::from(500))
        );
        // Another branch at that height: refused, and not worth reading again.
        assert_eq!(
            view.balance_at(&pool(), router, 10, B256::repeat_byte(11)),
            None
        );
        assert!(view.wanted_balances.lock().expect("lock").is_empty());
        // A block not read: refused this time, read by the feed's next round.
        let later = B256::repeat_byte(12);
        assert_eq!(view.balance_at(&pool(), router, 12, later), None);
        assert_eq!(
            *view.wanted_balances.lock().expect("lock"),
            BTreeSet::from([(pool(), router, 12, later)])
        );
    }

    #[test]
    fn the_newest_balance_is_observed_from_its_first_read_and_old_reads_are_forgotten() {
        let view = ChainView::default();
        let router = Address::repeat_byte(1);
        let hash = |block: u64| B256::with_last_byte(block as u8);
        // 500 from block 100 on, 800 from block 110 on.
        let newest = 100 + READS_KEPT as u64 + 4;
        for block in 100..=newest {
            let balance = if block < 110 { 500 } else { 800 };
            view.record_balance(pool(), router, block, hash(block), U256::from(balance));
        }
        // Observed at the first block read holding 800: the same block for every proposal
        // while the balance stays.
        let observed = Observation {
            pool: pool(),
            router,
            block: 110,
            block_hash: hash(110),
            balance: U256::from(800),
        };
        assert_eq!(view.balances(), [observed]);
        assert!(
            !view.has_read(&pool(), router, 100),
            "beyond the reads kept"
        );
        view.record_balance(
            pool(),
            router,
            newest + 1,
            hash(newest + 1),
            U256::from(900),
        );
        assert_eq!(
            view.balances()[0].block,
            newest + 1,
            "a new balance, a new block"
        );
        // A read a proposal asked for, older than every read kept, stays until a newer one.
        view.record_balance(pool(), router, 50, hash(50), U256::from(7));
        assert_eq!(
            view.balance_at(&pool(), router, 50, hash(50)),
            Some(U256::from(7))
        );
        assert_eq!(view.balances()[0].block, newest + 1);
    }
}
