//! Serves one destination: follows its Replicas (accepted roots and delivery outcomes), and as
//! soon as a root is acceptable, proves and delivers the messages under it in batches; retries
//! deliveries whose recipient reverted; sees each transaction through (see [`crate::operation`]).

use crate::{
    config::RetryPolicy,
    error::{contract_error, transport_error, ProcessorError},
    metrics::ProcessorMetrics,
    operation::{DeliveryStatus, OpKind, OpRecord, OpState, Waiting},
    origin::SharedTree,
    store::{self, Due, EventPosition, NewOp},
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::DynProvider,
    rpc::types::{Log, TransactionRequest},
    sol_types::{SolCall, SolEvent, SolInterface},
};
use nxtp_agent::{clock::now_ms, CancellationToken, Classify, Health, StepFailure, Store};
use nxtp_bindings::Replica;
use nxtp_chain::retry::backoff;
use nxtp_chain::{
    Batch, FailureReason, FinalState, Heads, Indexer, StartError, SubmitOptions, Submitter,
};
use nxtp_primitives::Domain;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, PoisonError},
    time::Duration,
};
use tokio::sync::Notify;

/// At most this many batches are prepared per origin in one step, so one huge backlog cannot
/// starve the other origins of a destination.
const MAX_BATCHES_PER_STEP: usize = 8;

/// How long a batch whose simulation reverts keeps being simulated before it fails. Batches
/// are sent for the block in which their root becomes acceptable, so a simulation may revert
/// until that block exists; a revert that outlasts a few blocks is a real one.
const RIPENING_GRACE: Duration = Duration::from_secs(10);

/// One origin as seen from the destination.
pub(crate) struct OriginLink {
    /// Its Replica on the destination.
    pub(crate) replica: Address,
    /// Its tree.
    pub(crate) tree: SharedTree,
}

/// A step that could not finish: RPC failures are retried on the next step, the rest stop the
/// processor.
type StepError = StepFailure<ProcessorError, RpcFailure>;

/// An RPC call that failed, which the next step tries again.
#[derive(Debug)]
struct RpcFailure {
    /// The call, e.g. `Replica.confirmAt`.
    what: &'static str,
    /// Why (endpoint redacted).
    message: String,
}

impl From<ProcessorError> for StepError {
    fn from(err: ProcessorError) -> Self {
        Self::Fatal(err)
    }
}

/// The failure of the RPC call `what`, retried on the next step.
fn rpc_failure(what: &'static str, message: String) -> StepError {
    StepFailure::Retry(RpcFailure { what, message })
}

/// A Replica event, decoded, with what applying it needs.
enum ReplicaEvent {
    Update {
        origin: Domain,
        root: B256,
        confirm_at: u64,
    },
    Processed {
        origin: Domain,
        index: u32,
        leaf: B256,
        at: EventPosition,
    },
    Failed {
        origin: Domain,
        index: u32,
        leaf: B256,
        at: EventPosition,
        reason: Bytes,
    },
}

/// The task serving one destination.
pub(crate) struct DestinationTask {
    pub(crate) destination: Domain,
    pub(crate) provider: DynProvider,
    /// Follows every Replica of the destination (one stream).
    pub(crate) indexer: Indexer,
    pub(crate) store: Store,
    pub(crate) submitter: Submitter,
    pub(crate) origins: BTreeMap<Domain, OriginLink>,
    pub(crate) batch_size: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) metrics: ProcessorMetrics,
    pub(crate) health: Health,
    /// Woken by origin tasks when they record leaves or roots.
    pub(crate) wake: Arc<Notify>,
    pub(crate) poll_interval: Duration,
    /// Why each origin's messages wait, as last logged (logged again only when it changes).
    pub(crate) waiting: HashMap<Domain, Waiting>,
    /// The destination's shared head.
    pub(crate) heads: Heads,
}

impl DestinationTask {
    /// Records each Replica's committed root (set at deployment without an `Update` event), so
    /// messages under it can be delivered too.
    pub(crate) async fn seed_roots(&self) -> Result<(), ProcessorError> {
        for (&origin, link) in &self.origins {
            let replica = Replica::new(link.replica, &self.provider);
            let read = |what: &'static str| {
                let domain = self.destination;
                move |err| ProcessorError::Rpc {
                    domain,
                    what,
                    message: contract_error(err),
                }
            };
            let root = replica
                .committedRoot()
                .call()
                .await
                .map_err(read("Replica.committedRoot"))?;
            let confirm_at = replica
                .confirmAt(root)
                .call()
                .await
                .map_err(read("Replica.confirmAt"))?;
            let Ok(confirm_at) = u64::try_from(confirm_at) else {
                continue;
            };
            let destination = self.destination;
            self.store
                .call(move |conn| store::record_root(conn, destination, origin, root, confirm_at))
                .await?;
        }
        Ok(())
    }

    /// Serves the destination until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), ProcessorError> {
        let events_stream = format!("replicas on {}", self.destination);
        let step_stream = format!("deliveries on {}", self.destination);
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let mut progressed = false;
            let mut failed = false;
            match self.indexer.poll().await {
                Ok(Some(batch)) => match self.handle_events(batch).await {
                    Ok(()) => {
                        progressed = true;
                        self.health.ok(&events_stream);
                    }
                    Err(failure) => {
                        let RpcFailure { what, message } = failure.into_retry()?;
                        failed = true;
                        tracing::warn!(destination = %self.destination, what, %message, "cannot read a Replica event's details");
                        self.health
                            .failing(&events_stream, format!("{what}: {message}"));
                    }
                },
                Ok(None) => self.health.ok(&events_stream),
                Err(err) if err.is_retryable() => {
                    failed = true;
                    tracing::warn!(destination = %self.destination, error = %err, "cannot read the Replicas");
                    self.health.failing(&events_stream, &err);
                }
                Err(err) => return Err(err.into()),
            }
            let mut seen_head = None;
            match self.step().await {
                Ok(head) => {
                    seen_head = Some(head);
                    self.health.ok(&step_stream);
                }
                Err(failure) => {
                    let RpcFailure { what, message } = failure.into_retry()?;
                    failed = true;
                    tracing::warn!(destination = %self.destination, what, %message, "delivery step failed");
                    self.health
                        .failing(&step_stream, format!("{what}: {message}"));
                }
            }
            failures = if failed {
                failures.saturating_add(1)
            } else {
                0
            };
            if progressed && !failed {
                // More confirmed blocks may be waiting: read on at once.
                continue;
            }
            // Nothing a step looks at changes before the next block (roots become acceptable
            // by its timestamp, transactions land in it) or before the origin side wakes it, so
            // an idle task waits for either; a retry whose time came waits for the next block,
            // which is when it could land anyway.
            let pause = async {
                match seen_head.filter(|_| !failed) {
                    Some(seen) => {
                        self.heads
                            .changed_from_or_fallback(seen, self.poll_interval)
                            .await;
                    }
                    None => tokio::time::sleep(backoff(self.poll_interval, failures)).await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = pause => {}
            }
        }
    }

    /// Applies a batch of Replica events and commits the batch with them.
    async fn handle_events(&mut self, batch: Batch) -> Result<(), StepError> {
        let mut events = Vec::with_capacity(batch.logs.len());
        for log in &batch.logs {
            if let Some(event) = self.decode(log).await? {
                events.push(event);
            }
        }
        let destination = self.destination;
        let retry = self.retry;
        let now = now_ms();
        let applied = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let mut applied = Vec::new();
                for event in &events {
                    match *event {
                        ReplicaEvent::Update {
                            origin,
                            root,
                            confirm_at,
                        } => store::record_root(&tx, destination, origin, root, confirm_at)?,
                        ReplicaEvent::Processed {
                            origin,
                            index,
                            leaf,
                            at,
                        } => {
                            if store::record_processed(&tx, origin, index, leaf, at)? {
                                applied.push((origin, index, None));
                            }
                        }
                        ReplicaEvent::Failed {
                            origin,
                            index,
                            leaf,
                            at,
                            ref reason,
                        } => {
                            let delay = |failures| millis(retry.delay(failures));
                            if let Some(failures) =
                                store::record_failed(&tx, origin, index, leaf, at, now, delay)?
                            {
                                applied.push((origin, index, Some((failures, reason.clone()))));
                            }
                        }
                    }
                }
                batch.commit(&tx)?;
                tx.commit()?;
                Ok(applied)
            })
            .await?;
        for (origin, index, failed) in applied {
            match failed {
                None => {
                    self.metrics.delivered(destination);
                    tracing::debug!(%origin, %destination, index, "delivered");
                }
                Some((failures, reason)) => {
                    self.metrics.handle_failed(destination);
                    let wait = self.retry.delay(failures);
                    tracing::warn!(
                        %origin,
                        %destination,
                        index,
                        failures,
                        %reason,
                        retry_in = ?wait,
                        "the recipient's handle reverted; retrying later"
                    );
                }
            }
        }
        Ok(())
    }

    async fn decode(&self, log: &Log) -> Result<Option<ReplicaEvent>, StepError> {
        let Some(origin) = self
            .origins
            .iter()
            .find(|(_, link)| link.replica == log.address())
            .map(|(&origin, _)| origin)
        else {
            return Ok(None);
        };
        let at = EventPosition {
            block: log.block_number.unwrap_or_default(),
            log_index: log.log_index.unwrap_or_default(),
        };
        let bad = |event: &'static str, reason: String| {
            StepFailure::Fatal(ProcessorError::BadEvent {
                origin,
                event,
                block: at.block,
                reason,
            })
        };
        let index_of = |event: &'static str, index: U256| {
            u32::try_from(index).map_err(|_| bad(event, format!("leaf index {index}")))
        };
        Ok(Some(match log.topic0() {
            Some(&Replica::Update::SIGNATURE_HASH) => {
                let event = log
                    .log_decode::<Replica::Update>()
                    .map_err(|err| bad("Update", err.to_string()))?
                    .inner
                    .data;
                let confirm_at = Replica::new(log.address(), &self.provider)
                    .confirmAt(event.newRoot)
                    .call()
                    .await
                    .map_err(|err| rpc_failure("Replica.confirmAt", contract_error(err)))?;
                match u64::try_from(confirm_at) {
                    // Zero: the update is no longer on the chain (a reorg); nothing to wait for.
                    Ok(0) | Err(_) => return Ok(None),
                    Ok(confirm_at) => ReplicaEvent::Update {
                        origin,
                        root: event.newRoot,
                        confirm_at,
                    },
                }
            }
            Some(&Replica::Processed::SIGNATURE_HASH) => {
                let event = log
                    .log_decode::<Replica::Processed>()
                    .map_err(|err| bad("Processed", err.to_string()))?
                    .inner
                    .data;
                ReplicaEvent::Processed {
                    origin,
                    index: index_of("Processed", event.index)?,
                    leaf: event.leaf,
                    at,
                }
            }
            Some(&Replica::ProcessFailed::SIGNATURE_HASH) => {
                let event = log
                    .log_decode::<Replica::ProcessFailed>()
                    .map_err(|err| bad("ProcessFailed", err.to_string()))?
                    .inner
                    .data;
                ReplicaEvent::Failed {
                    origin,
                    index: index_of("ProcessFailed", event.index)?,
                    leaf: event.leaf,
                    at,
                    reason: event.reason,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// Prepares what is due, hands prepared ops to the submitter, and follows submitted ones;
    /// returns the number of the head it stepped at.
    async fn step(&mut self) -> Result<u64, StepError> {
        // The shared follower saw the head block: its timestamp needs no request of its own.
        let head = self
            .heads
            .latest_block()
            .await
            .map_err(|err| rpc_failure("eth_getBlockByNumber", transport_error(err)))?;
        let timestamp = head.timestamp;
        // The earliest timestamp the next block may carry: a root acceptable then is delivered
        // in that block, not one block later. The Replica still refuses anything early.
        let next_block_at = timestamp.saturating_add(1);
        let origins: Vec<Domain> = self.origins.keys().copied().collect();
        for origin in origins {
            self.plan(origin, next_block_at).await?;
        }
        let destination = self.destination;
        let ops = self
            .store
            .call(move |conn| store::open_ops(conn, destination))
            .await?;
        for op in ops {
            self.advance(op).await?;
        }
        let backlog = self
            .store
            .call(move |conn| store::backlog(conn, destination))
            .await?;
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::InFlight,
            DeliveryStatus::Failed,
        ] {
            let count = backlog
                .iter()
                .find(|(found, _)| *found == status)
                .map_or(0, |(_, count)| *count);
            self.metrics.backlog(destination, status.as_str(), count);
        }
        Ok(head.number)
    }

    /// Prepares batches for the messages of `origin` under the best acceptable root (at chain
    /// time `now`), and retries for failed deliveries whose backoff is over.
    async fn plan(&mut self, origin: Domain, now: u64) -> Result<(), StepError> {
        let Some(link) = self.origins.get(&origin) else {
            return Ok(());
        };
        let (replica, tree) = (link.replica, Arc::clone(&link.tree));
        let destination = self.destination;
        let now_ms = now_ms();
        let limit = self.batch_size;

        let (best, next, waiting_any) = self
            .store
            .call(move |conn| {
                let best = store::best_acceptable_root(conn, destination, origin, now)?;
                let next = store::next_confirm_at(conn, destination, origin, now)?;
                let any = store::due_pending(conn, destination, origin, u32::MAX, now_ms, 1)?;
                Ok((best, next, !any.is_empty()))
            })
            .await?;
        let waiting = match best {
            None => Some(Waiting::NoAcceptableRoot {
                next_confirm_at: next,
            }),
            Some((root, leaf_count)) => {
                let tree = tree.read().unwrap_or_else(PoisonError::into_inner);
                if tree.count() < leaf_count {
                    Some(Waiting::OriginBehind {
                        leaf_count,
                        indexed: tree.count(),
                    })
                } else if tree.root_at(leaf_count).ok() != Some(root) {
                    Some(Waiting::RootMismatch { root, leaf_count })
                } else {
                    None
                }
            }
        };
        match &waiting {
            Some(reason) => {
                if waiting_any && self.waiting.get(&origin) != Some(reason) {
                    if matches!(reason, Waiting::RootMismatch { .. }) {
                        tracing::error!(%origin, %destination, %reason, "not delivering");
                    } else {
                        tracing::debug!(%origin, %destination, %reason, "messages wait");
                    }
                    self.waiting.insert(origin, reason.clone());
                }
            }
            None => {
                self.waiting.remove(&origin);
            }
        }

        if let (None, Some((root, leaf_count))) = (&waiting, best) {
            for _ in 0..MAX_BATCHES_PER_STEP {
                let due = self
                    .store
                    .call(move |conn| {
                        store::due_pending(conn, destination, origin, leaf_count, now_ms, limit)
                    })
                    .await?;
                if due.is_empty() {
                    break;
                }
                let full = due.len() == limit;
                let input = {
                    let tree = tree.read().unwrap_or_else(PoisonError::into_inner);
                    batch_input(&tree, &due, leaf_count)
                        .map_err(|source| ProcessorError::Tree { origin, source })?
                };
                let op = NewOp {
                    destination,
                    origin,
                    kind: OpKind::Batch { root, leaf_count },
                    replica,
                    input,
                    indices: due.iter().map(|due| due.index).collect(),
                    now_ms,
                };
                let prepared = self
                    .store
                    .call(move |conn| store::prepare_op(conn, &op))
                    .await?;
                if let Some(id) = prepared {
                    tracing::debug!(%id, %origin, %destination, messages = due.len(), %root, "batch prepared");
                }
                if !full {
                    break;
                }
            }
        }

        let retries = self
            .store
            .call(move |conn| store::due_retries(conn, destination, origin, now_ms, limit))
            .await?;
        for due in retries {
            let op = NewOp {
                destination,
                origin,
                kind: OpKind::Retry,
                replica,
                input: Replica::processCall {
                    message: due.message.clone(),
                }
                .abi_encode()
                .into(),
                indices: vec![due.index],
                now_ms,
            };
            self.store
                .call(move |conn| store::prepare_op(conn, &op))
                .await?;
        }
        Ok(())
    }

    /// Moves one op along its state machine.
    async fn advance(&mut self, op: OpRecord) -> Result<(), StepError> {
        let destination = self.destination;
        match op.state {
            OpState::Prepared => {
                let request = TransactionRequest::default()
                    .to(op.replica)
                    .input(op.input.clone().into());
                let key = op.id.submitter_key(destination);
                let options = match op.kind {
                    OpKind::Batch { .. } => SubmitOptions {
                        retry_reverts: true,
                        retry_reverts_for: Some(RIPENING_GRACE),
                    },
                    OpKind::Retry => SubmitOptions::default(),
                };
                let operation = self
                    .submitter
                    .submit_with(&key, request, options)
                    .await
                    .map_err(StartError::submitter(destination))
                    .map_err(ProcessorError::from)?;
                let id = op.id;
                let state = OpState::Submitted { operation };
                let carried = self
                    .store
                    .call(move |conn| {
                        store::set_op_state(conn, id, &state, None)?;
                        store::in_flight(conn, id)
                    })
                    .await?;
                self.metrics
                    .op_submitted(destination, op.kind.label(), carried.len());
                tracing::info!(
                    id = %op.id,
                    %operation,
                    origin = %op.origin,
                    %destination,
                    kind = op.kind.label(),
                    messages = carried.len(),
                    first = carried.first().map(|(index, _)| *index),
                    "submitted"
                );
            }
            OpState::Submitted { operation } => {
                let status = self
                    .submitter
                    .status(operation)
                    .await
                    .map_err(StartError::submitter(destination))
                    .map_err(ProcessorError::from)?;
                match status.state.final_state() {
                    None => {}
                    Some(FinalState::Confirmed(inclusion)) => {
                        let state = OpState::Confirmed {
                            operation,
                            block: inclusion.block_number,
                        };
                        let id = op.id;
                        self.store
                            .call(move |conn| store::set_op_state(conn, id, &state, None))
                            .await?;
                        tracing::debug!(id = %op.id, block = inclusion.block_number, "confirmed");
                    }
                    Some(FinalState::Failed(reason)) => {
                        let explained = explain(&reason);
                        tracing::warn!(
                            id = %op.id,
                            %operation,
                            origin = %op.origin,
                            %destination,
                            kind = op.kind.label(),
                            reason = %explained,
                            "transaction failed; recovering its messages from the Replica"
                        );
                        self.metrics.op_failed(destination, reason.label());
                        self.recover_messages(&op).await?;
                        let id = op.id;
                        self.store
                            .call(move |conn| {
                                store::set_op_state(conn, id, &OpState::Settled, Some(&explained))
                            })
                            .await?;
                    }
                }
            }
            OpState::Confirmed { block, .. } => {
                let id = op.id;
                let cursor = self.indexer.cursor().clone();
                let (carried, position) = self
                    .store
                    .call(move |conn| Ok((store::in_flight(conn, id)?, cursor.get(conn)?)))
                    .await?;
                if carried.is_empty() {
                    self.store
                        .call(move |conn| store::set_op_state(conn, id, &OpState::Settled, None))
                        .await?;
                } else if position.is_some_and(|next| next > block) {
                    // The Replica's events of that block were read, yet these messages have no
                    // outcome (their transaction left the chain in a reorg): ask the Replica.
                    tracing::warn!(id = %op.id, block, messages = carried.len(), "no outcome events for a confirmed transaction; recovering its messages from the Replica");
                    self.recover_messages(&op).await?;
                    self.store
                        .call(move |conn| store::set_op_state(conn, id, &OpState::Settled, None))
                        .await?;
                }
            }
            OpState::Settled => {}
        }
        Ok(())
    }

    /// Recovers the messages of a transaction that failed or left the chain: puts every message
    /// `op` still carries where the Replica says it is.
    async fn recover_messages(&self, op: &OpRecord) -> Result<(), StepError> {
        let id = op.id;
        let carried = self
            .store
            .call(move |conn| store::in_flight(conn, id))
            .await?;
        let replica = Replica::new(op.replica, &self.provider);
        let mut found = Vec::with_capacity(carried.len());
        for (index, leaf) in carried {
            let rpc = |what: &'static str| move |err| rpc_failure(what, contract_error(err));
            let processed = replica
                .isProcessed(U256::from(index))
                .call()
                .await
                .map_err(rpc("Replica.isProcessed"))?;
            let status = if processed {
                DeliveryStatus::Processed
            } else if replica
                .provenIndex(leaf)
                .call()
                .await
                .map_err(rpc("Replica.provenIndex"))?
                .proven
            {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Pending
            };
            found.push((index, status));
        }
        let (origin, retry, now) = (op.origin, self.retry, now_ms());
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                for &(index, status) in &found {
                    let delay = |failures| millis(retry.delay(failures));
                    store::recover_message(&tx, id, origin, index, status, now, delay)?;
                }
                tx.commit()
            })
            .await?;
        Ok(())
    }
}

/// The calldata of `proveAndProcessBatch` for `due` (in leaf order) under the root of the
/// tree's first `leaf_count` leaves.
fn batch_input(
    tree: &nxtp_primitives::MerkleTree,
    due: &[Due],
    leaf_count: u32,
) -> Result<Bytes, nxtp_primitives::MerkleError> {
    let indices: Vec<u32> = due.iter().map(|due| due.index).collect();
    let multiproof = tree.multiproof_at(&indices, leaf_count)?;
    Ok(Replica::proveAndProcessBatchCall {
        messages: due.iter().map(|due| due.message.clone()).collect(),
        indices: indices.into_iter().map(U256::from).collect(),
        proof: multiproof.proof,
    }
    .abi_encode()
    .into())
}

/// A failure reason, with the Replica's revert decoded when it is one of its errors.
fn explain(reason: &FailureReason) -> String {
    if let FailureReason::Reverted { data } = reason {
        if let Ok(error) = Replica::ReplicaErrors::abi_decode(data) {
            return format!("the call reverts with {error:?}");
        }
    }
    reason.to_string()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_primitives::{MerkleTree, MultiProof};

    #[test]
    fn batch_calldata_carries_a_multiproof_to_the_root() {
        let mut tree = MerkleTree::new();
        let messages: Vec<Bytes> = (0u8..7).map(|i| Bytes::from(vec![i; 80])).collect();
        for message in &messages {
            tree.insert(alloy::primitives::keccak256(message))
                .expect("room");
        }
        let due: Vec<Due> = [1u32, 4, 5]
            .iter()
            .map(|&index| Due {
                index,
                message: messages[index as usize].clone(),
            })
            .collect();
        let input = batch_input(&tree, &due, 6).expect("in range");
        let call = Replica::proveAndProcessBatchCall::abi_decode(&input).expect("decodes");
        let proof = MultiProof {
            leaves: call
                .messages
                .iter()
                .map(alloy::primitives::keccak256)
                .collect(),
            indices: vec![1, 4, 5],
            proof: call.proof,
        };
        assert_eq!(proof.root(), tree.root_at(6));
        assert_eq!(call.indices, [1u64, 4, 5].map(U256::from));
    }

    #[test]
    fn replica_reverts_are_named() {
        let data = Replica::ReplicaErrors::AlreadyProcessed(Replica::AlreadyProcessed {
            index: U256::from(3),
        })
        .abi_encode();
        let text = explain(&FailureReason::Reverted { data: data.into() });
        assert!(text.contains("AlreadyProcessed"), "{text}");
    }
}
