//! Brings one Replica forward: reads its committed root, finds the Home update from that root
//! among those recorded (or, failing that, among those not confirmed yet: see [`crate::recent`]),
//! and submits it once its new root is final on the origin (checkpointed at the origin's final
//! block); again until no update starts from the Replica's root.
//!
//! A relay is not waited for until final: once it is mined the Replica's root has moved and
//! the next update goes out, so a Replica takes one update per block. Until then every step
//! hands the same operation to the submitter again.
//!
//! Restart safety: each relay is submitted under the key `relay:<origin>:<destination>:<new>`,
//! so after a crash the same key finds the same operation (already sent or not) instead of
//! sending a second transaction, and a Replica that already moved on is simply read again.

use crate::{
    config::Route,
    error::StepError,
    metrics::MessageRelayerMetrics,
    recent::{OriginFeed, Relayable},
    store,
    task::{Next, Step},
};
use alloy::{
    primitives::B256, providers::DynProvider, rpc::types::TransactionRequest, sol_types::SolCall,
};
use nxtp_agent::Store;
use nxtp_bindings::Replica;
use nxtp_chain::{ChainError, FinalState, Heads, Submitter};
use std::time::Duration;

/// The Replica's `State.Active`.
const ACTIVE: u8 = 0;

/// The task that relays one route.
#[derive(Debug)]
pub(crate) struct RouteRelay {
    name: String,
    route: Route,
    provider: DynProvider,
    /// The destination's shared head.
    heads: Heads,
    feed: OriginFeed,
    store: Store,
    submitter: Submitter,
    metrics: MessageRelayerMetrics,
    poll_interval: Duration,
    /// What the last step that found nothing to relay saw: the destination's and the origin's
    /// state blocks (see `Tip::state_block`; the origin's head instead while a root waits to be
    /// final, which any new block may make it), the origin's pending transactions and the
    /// recorded updates' version. Until one moves, neither the Replica nor the updates changed.
    idle_at: Option<(B256, B256, u64, u64)>,
    /// The last step found an update whose root is not final on the origin yet.
    waiting_for_final: bool,
    /// The submitter key of the newest relay handed over, so each is counted and logged once.
    last_sent: Option<String>,
    /// The newest root found signed but not final yet, so the wait is logged once.
    waiting_final: Option<B256>,
}

impl RouteRelay {
    /// A task relaying `route` through `submitter` (the destination's).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        route: Route,
        provider: DynProvider,
        heads: Heads,
        feed: OriginFeed,
        store: Store,
        submitter: Submitter,
        metrics: MessageRelayerMetrics,
        poll_interval: Duration,
    ) -> Self {
        Self {
            name: format!("relay {} -> {}", route.origin, route.destination),
            route,
            provider,
            heads,
            feed,
            store,
            submitter,
            metrics,
            poll_interval,
            idle_at: None,
            waiting_for_final: false,
            last_sent: None,
            waiting_final: None,
        }
    }

    /// Submits the update the Replica lacks next, if any is recorded.
    async fn relay_next(&mut self) -> Result<Next, StepError> {
        self.waiting_for_final = false;
        let Route {
            origin,
            destination,
            replica,
        } = self.route;
        let contract = Replica::new(replica, &self.provider);
        let state = contract
            .state()
            .call()
            .await
            .map_err(ChainError::call(destination, "Replica.state"))?;
        if state != ACTIVE {
            return Err(StepError::ReplicaInactive { replica, state });
        }
        let root = contract
            .committedRoot()
            .call()
            .await
            .map_err(ChainError::call(destination, "Replica.committedRoot"))?;
        let (next, pending) = self
            .store
            .call(move |conn| {
                Ok((
                    store::update_from(conn, origin, root)?,
                    store::pending_from(conn, origin, root)?,
                ))
            })
            .await?;
        self.metrics.pending(origin, destination, pending);
        let update = match next {
            Some(update) => Relayable {
                old_root: update.old_root,
                new_root: update.new_root,
                signature: update.signature,
                found: "confirmed",
            },
            None => match self.feed.update_from(&self.store, root).await? {
                Some(update) => update,
                None => return Ok(Next::Idle),
            },
        };
        // Never carry a root a reorg could take back from the origin: once it is on the
        // Replica, its window runs whatever the origin does.
        self.waiting_for_final = !self.feed.is_final(update.new_root).await?;
        if self.waiting_for_final {
            if self.waiting_final != Some(update.new_root) {
                self.waiting_final = Some(update.new_root);
                tracing::debug!(
                    %origin,
                    %destination,
                    new = %update.new_root,
                    found = update.found,
                    "waiting for the update's root to be final on the origin"
                );
            }
            return Ok(Next::Idle);
        }

        let key = format!("relay:{origin}:{destination}:{}", update.new_root);
        let attempt_base = key.clone();
        let attempt = self
            .store
            .call(move |conn| store::attempt(conn, &attempt_base))
            .await?;
        let attempt_key = if attempt == 0 {
            key.clone()
        } else {
            format!("{key}#{attempt}")
        };
        let call = Replica::updateCall {
            oldRoot: update.old_root,
            newRoot: update.new_root,
            signature: update.signature.clone(),
        };
        let request = TransactionRequest::default()
            .to(replica)
            .input(call.abi_encode().into());
        let id = self.submitter.submit(&attempt_key, request).await?;
        match self.submitter.status(id).await?.state.final_state() {
            None => {}
            Some(FinalState::Failed(reason)) => {
                self.metrics.relay_failed(origin, destination);
                self.store
                    .call(move |conn| store::attempt_failed(conn, &key, attempt))
                    .await?;
                return Err(StepError::Relay {
                    old: update.old_root,
                    new: update.new_root,
                    reason,
                });
            }
            // Confirmed, yet the Replica is still at the old root: a reorg deeper than the
            // confirmations undid it. Again at once, under a fresh key.
            Some(FinalState::Confirmed(inclusion)) => {
                tracing::warn!(
                    %origin,
                    %destination,
                    new = %update.new_root,
                    tx = %inclusion.tx_hash,
                    block = inclusion.block_number,
                    "a confirmed relay is gone from the Replica (a deep reorg); relaying again"
                );
                self.store
                    .call(move |conn| store::attempt_failed(conn, &key, attempt))
                    .await?;
                return Ok(Next::Now);
            }
        }
        if self.last_sent.as_deref() != Some(attempt_key.as_str()) {
            self.metrics.relayed(origin, destination);
            tracing::info!(
                %origin,
                %destination,
                old = %update.old_root,
                new = %update.new_root,
                found = update.found,
                "update sent to the Replica"
            );
            self.last_sent = Some(attempt_key);
        }
        // The next update is due once this one is mined and the Replica's root has moved.
        Ok(Next::Idle)
    }
}

impl Step for RouteRelay {
    fn name(&self) -> &str {
        &self.name
    }

    async fn step(&mut self) -> Result<Next, StepError> {
        let destination = self.route.destination;
        let tip = self
            .heads
            .tip()
            .await
            .map_err(ChainError::rpc(destination, "eth_getBlockByNumber"))?;
        let replica_at = tip.state_block(tip.number()).unwrap_or(tip.head().hash);
        let origin_tip = self.feed.tip().await?;
        let origin_at = if self.waiting_for_final {
            origin_tip.head().hash
        } else {
            origin_tip
                .state_block(origin_tip.number())
                .unwrap_or(origin_tip.head().hash)
        };
        // The pending block is watched only while an update is to come (not at all when idle),
        // through the node's announcements of pending transactions where it makes them.
        let origin_pending = if self.feed.awaiting_update().await? {
            match self.feed.heads.pending_announced() {
                Some(announced) => announced,
                None => self.feed.pending_count().await,
            }
        } else {
            0
        };
        let version = *self.feed.recorded.borrow_and_update();
        let now = (replica_at, origin_at, origin_pending, version);
        if self.idle_at == Some(now) {
            return Ok(Next::Idle);
        }
        let next = self.relay_next().await?;
        self.idle_at = (next == Next::Idle).then_some(now);
        Ok(next)
    }

    async fn idle(&mut self) {
        // Woken by new updates of the origin, or after the poll interval (the Replica may have
        // been moved by someone else).
        tokio::select! {
            changed = self.feed.recorded.changed() => {
                // The indexer is gone (the relayer is stopping): fall back to polling.
                if changed.is_err() {
                    tokio::time::sleep(self.poll_interval).await;
                }
            }
            () = tokio::time::sleep(self.poll_interval) => {}
        }
    }

    fn retry_delay(&self) -> Duration {
        self.poll_interval
    }
}
