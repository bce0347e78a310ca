//! [`ChainView`]: what this node knows of the chains, as consensus asks it.

use alloy::primitives::{Address, B256};
use nxtp_consensus::{RouterApproval, TransferSource, TransferTerms};
use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{Mutex, PoisonError, RwLock},
};

/// This node's view of the chains, as consensus asks it: what the origin says of each transfer
/// awaiting a decision, which executes ended, which routers are approved. Filled by [`Feed`]; read
/// by the consensus loop when it builds or checks a batch.
#[derive(Debug, Default)]
pub(crate) struct ChainView {
    pub(super) terms: RwLock<BTreeMap<B256, TransferTerms>>,
    pub(super) ended: RwLock<HashSet<B256>>,
    pub(super) approvals: RwLock<BTreeMap<(u32, Address), bool>>,
    /// Routers a proposal named whose approval this node has not read yet.
    pub(super) wanted: Mutex<BTreeSet<(u32, Address)>>,
}

impl TransferSource for ChainView {
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
        let terms = self.terms.read().unwrap_or_else(PoisonError::into_inner);
        terms.get(transfer_id).cloned()
    }

    fn execute_ended(&self, transfer_id: &B256) -> bool {
        let ended = self.ended.read().unwrap_or_else(PoisonError::into_inner);
        ended.contains(transfer_id)
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
