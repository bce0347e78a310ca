//! Brings one Replica forward: reads its committed root, finds the Home update from that root
//! among those recorded, and submits it; again until no recorded update starts from the
//! Replica's root.
//!
//! Restart safety: each relay is submitted under the key `relay:<origin>:<destination>:<new>`
//! and waited for until final, so after a crash the same key finds the same operation (already
//! sent or not) instead of sending a second transaction, and a Replica that already moved on
//! is simply read again.

use crate::{
    config::Route,
    error::{without_url, StepError},
    metrics::RelayerMetrics,
    store,
    task::{Next, Step},
};
use alloy::{
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use nxtp_agent::Store;
use nxtp_bindings::Replica;
use nxtp_chain::{FinalState, Submitter};
use std::time::Duration;
use tokio::sync::watch;

/// The Replica's `State.Active`.
const ACTIVE: u8 = 0;

/// The task that relays one route.
#[derive(Debug)]
pub(crate) struct RouteRelay {
    name: String,
    route: Route,
    provider: DynProvider,
    store: Store,
    submitter: Submitter,
    /// Bumped when the origin's indexer records updates.
    recorded: watch::Receiver<u64>,
    metrics: RelayerMetrics,
    poll_interval: Duration,
    /// The destination's head and the origin's update count when the last step found nothing
    /// to relay: until either moves, neither the Replica nor the updates changed.
    idle_at: Option<(u64, u64)>,
}

impl RouteRelay {
    /// A task relaying `route` through `submitter` (the destination's).
    pub(crate) fn new(
        route: Route,
        provider: DynProvider,
        store: Store,
        submitter: Submitter,
        recorded: watch::Receiver<u64>,
        metrics: RelayerMetrics,
        poll_interval: Duration,
    ) -> Self {
        Self {
            name: format!("relay {} -> {}", route.origin, route.destination),
            route,
            provider,
            store,
            submitter,
            recorded,
            metrics,
            poll_interval,
            idle_at: None,
        }
    }

    /// Submits the update the Replica lacks next, if any is recorded.
    async fn relay_next(&mut self) -> Result<Next, StepError> {
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
            .map_err(StepError::call(destination, "Replica.state"))?;
        if state != ACTIVE {
            return Err(StepError::ReplicaInactive { replica, state });
        }
        let root = contract
            .committedRoot()
            .call()
            .await
            .map_err(StepError::call(destination, "Replica.committedRoot"))?;
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
        let Some(update) = next else {
            return Ok(Next::Idle);
        };

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
        match self.submitter.wait(id).await? {
            FinalState::Confirmed(inclusion) => {
                self.metrics.relayed(origin, destination);
                self.metrics
                    .pending(origin, destination, pending.saturating_sub(1));
                tracing::info!(
                    %origin,
                    %destination,
                    old = %update.old_root,
                    new = %update.new_root,
                    tx = %inclusion.tx_hash,
                    "update relayed"
                );
                Ok(Next::Now)
            }
            FinalState::Failed(reason) => {
                self.metrics.relay_failed(origin, destination);
                self.store
                    .call(move |conn| store::attempt_failed(conn, &key, attempt))
                    .await?;
                Err(StepError::Relay {
                    old: update.old_root,
                    new: update.new_root,
                    reason,
                })
            }
        }
    }
}

impl Step for RouteRelay {
    fn name(&self) -> &str {
        &self.name
    }

    async fn step(&mut self) -> Result<Next, StepError> {
        let destination = self.route.destination;
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|source| StepError::Rpc {
                chain: destination,
                method: "eth_blockNumber",
                source: without_url(source),
            })?;
        let version = *self.recorded.borrow_and_update();
        if self.idle_at == Some((head, version)) {
            return Ok(Next::Idle);
        }
        let next = self.relay_next().await?;
        self.idle_at = (next == Next::Idle).then_some((head, version));
        Ok(next)
    }

    async fn idle(&mut self) {
        // Woken by new updates of the origin, or after the poll interval (the Replica may have
        // been moved by someone else).
        tokio::select! {
            changed = self.recorded.changed() => {
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
