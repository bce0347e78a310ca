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

    fn balances(&self) -> Vec<Observation> {
        let balances = self.balances.read().unwrap_or_else(PoisonError::into_inner);
        balances
            .iter()
            .filter_map(|(&(pool, router), reads)| {
                let (&block, &(block_hash, balance)) = reads.last_key_value()?;
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
