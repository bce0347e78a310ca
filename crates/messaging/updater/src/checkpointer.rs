//! Records the Home's root as produced (`Home.checkpoint`) as soon as new messages show in the
//! origin's **pending** block, so the checkpoint usually lands in the same block as the
//! messages and is final when they are: the updater can sign their root as soon as they reach
//! its confirmation depth, instead of checkpointing then and waiting for the checkpoint too.
//!
//! Sending a checkpoint early is always safe: `checkpoint()` records whatever root the Home
//! holds when it runs, and a checkpoint that a reorg drops takes no signature with it (the
//! updater signs only checkpoints final at its depth). It costs only the checkpointer's gas:
//! at most one transaction per poll in which the pending root changed, and at most
//! `checkpoints_per_block` (see the config) while one head is the newest block.
//!
//! RPC cost: what the pending block shows changes only with a transaction, so the Home is read
//! there only when the pending block may hold a new one: over a WebSocket, when the node
//! announced a pending transaction or a block that may change state came since the last look
//! (none of either on an idle chain: no request). Over HTTP, when the head's state block changed,
//! or, while the chain is busy (a block of the last [`BUSY_BLOCKS`] may have changed state), when
//! the pending block's transaction count changed (one request a round). An idle chain thus costs
//! no request; the first message after a quiet spell is checkpointed once it is mined (one block
//! later than from the pending block), and those that follow it from the pending block again.
//!
//! The checkpoints come from their own key: the updater signs over a root with no record only
//! while its key has no pending transaction, which a stream of checkpoints would prevent.
//! A node without a pending block answers for the latest one; checkpoints then follow mined
//! messages, one block later.

use crate::{error::TickError, metrics::UpdaterMetrics};
use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use nxtp_bindings::Home;
use nxtp_chain::{heads::Tip, ChainError, OperationId, OperationState, Submitter};
use nxtp_primitives::Domain;
use std::num::NonZeroU32;

/// Over HTTP, the pending block's transaction count is watched only while one of this many
/// newest blocks may have changed state (see the module docs).
pub const BUSY_BLOCKS: u64 = 16;

/// The checkpointer of one Home; see the module docs.
pub(crate) struct Checkpointer {
    pub(crate) origin: Domain,
    pub(crate) home: Address,
    pub(crate) provider: DynProvider,
    /// The checkpointer key's submitter on the Home's chain.
    pub(crate) submitter: Submitter,
    pub(crate) metrics: UpdaterMetrics,
    /// The newest checkpoint handed to the submitter: no other is handed over before it is
    /// broadcast, so a submitter that cannot send does not pile them up.
    pub(crate) newest: Option<OperationId>,
    /// The most checkpoints handed over while one head is the newest block.
    pub(crate) per_block: NonZeroU32,
    /// The head when checkpoints were last handed over, and how many were at that head.
    pub(crate) handed_at: Option<(u64, u32)>,
    /// What the pending block could show at the last look that found nothing to do: the
    /// head's state block and the announced (or counted) pending transactions, `None` for an
    /// idle chain over HTTP (not counted).
    pub(crate) looked_at: Option<(B256, Option<u64>)>,
}

impl Checkpointer {
    /// Sends a checkpoint if the Home's root in the pending block is not checkpointed there,
    /// unless `per_block` were already handed over at `head` (the Home chain's newest block).
    /// Runs at the start of every updater round (every poll interval), whether or not the
    /// head moved: the pending block changes in between.
    ///
    /// `tip` is the Home chain's as the shared follower saw it and `announced` its count of
    /// announced pending transactions (see the module docs on when the Home is read).
    pub(crate) async fn round(
        &mut self,
        head: u64,
        tip: Option<&Tip>,
        announced: Option<u64>,
    ) -> Result<(), TickError> {
        if let Some(id) = self.newest {
            match self.submitter.status(id).await?.state {
                OperationState::Queued | OperationState::Simulated { .. } => return Ok(()),
                // An attempt fails only if its simulation reverts (a failed Home, checked
                // before each send) or after its own RPC retries (see `SubmitterConfig`), so
                // failed attempts cannot pile up faster than those allow.
                OperationState::Failed(reason) => {
                    self.newest = None;
                    tracing::warn!(domain = %self.origin, %reason, "checkpoint failed");
                }
                OperationState::Submitted(_) | OperationState::Confirmed(_) => {}
            }
        }
        if self
            .handed_at
            .is_some_and(|(at, count)| at == head && count >= self.per_block.get())
        {
            return Ok(());
        }
        let domain = self.origin;
        let state_block = tip.and_then(|tip| tip.state_block(tip.number()));
        let busy = tip.is_some_and(|tip| tip.changed_within(BUSY_BLOCKS));
        let seen = match (state_block, announced) {
            (Some(state_block), Some(announced)) => Some((state_block, Some(announced))),
            (Some(state_block), None) if !busy => Some((state_block, None)),
            // Not announced: the pending block's transaction count tells of new ones (one
            // leaving as another comes is mined in a block that may change state).
            (Some(state_block), None) => {
                let count = self
                    .provider
                    .get_block_transaction_count_by_number(BlockNumberOrTag::Pending)
                    .await
                    .map_err(ChainError::rpc(
                        domain,
                        "eth_getBlockTransactionCountByNumber",
                    ))?;
                count.map(|count| (state_block, Some(count)))
            }
            (None, _) => None,
        };
        if seen.is_some() && seen == self.looked_at {
            return Ok(());
        }
        let pending = BlockId::pending();
        let home = Home::new(self.home, &self.provider);
        let root = home
            .root()
            .block(pending)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.root"))?;
        let produced = home
            .checkpoints(root)
            .block(pending)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?
            .produced;
        if produced {
            self.looked_at = seen;
            return Ok(());
        }
        // A failed Home takes no checkpoints (each would fail its simulation); the updater's
        // round reports it.
        let failed = home
            .failed()
            .block(pending)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.failed"))?;
        if !failed {
            self.checkpoint(root, head).await?;
        }
        Ok(())
    }

    /// Hands a checkpoint of `root` to the submitter, under a key naming the root (so a root
    /// is checkpointed once) and the attempt: an attempt that ended (failed, or confirmed yet
    /// its checkpoint is gone from the chain) is followed by a fresh one.
    async fn checkpoint(&mut self, root: B256, head: u64) -> Result<(), TickError> {
        let request = TransactionRequest::default()
            .to(self.home)
            .input(Home::checkpointCall {}.abi_encode().into());
        let mut attempt = 0u32;
        loop {
            let key = match attempt {
                0 => format!("checkpoint:{}:{root}", self.origin),
                n => format!("checkpoint:{}:{root}#{n}", self.origin),
            };
            let id = self.submitter.submit(&key, request.clone()).await?;
            let state = self.submitter.status(id).await?.state;
            if state.final_state().is_some() {
                attempt = attempt.saturating_add(1);
                continue;
            }
            if self.newest != Some(id) {
                self.newest = Some(id);
                if matches!(state, OperationState::Queued) {
                    self.handed_at = Some(match self.handed_at {
                        Some((at, count)) if at == head => (head, count.saturating_add(1)),
                        _ => (head, 1),
                    });
                    self.metrics.checkpoints.inc();
                    tracing::debug!(domain = %self.origin, %root, attempt, "checkpoint sent to the Home");
                }
            }
            return Ok(());
        }
    }
}
