//! The submitter's background task: one round over the operations in flight per poll
//! interval (or as soon as one is submitted), moving each along its state machine.

use super::{
    fees,
    operation::{
        Attempt, Call, FailureReason, Fees, Inclusion, Operation, OperationId, OperationState,
        Submission,
    },
    store, Shared, SubmitterConfig,
};
use crate::{provider::without_url, retry::backoff};
use alloy::{
    eips::{eip2718::Encodable2718, BlockId, BlockNumberOrTag},
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Bytes, TxKind, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::{BlockOverrides, TransactionRequest},
    transports::TransportError,
};
use nxtp_agent::{clock::now_ms, storage::StorageError, CancellationToken};
use std::{
    collections::{HashMap, HashSet},
    sync::{atomic::Ordering, Arc},
};
use tokio::time::Instant;

/// Gas of a plain transfer to an account without code: what a nonce filler needs.
const PLAIN_TRANSFER_GAS: u64 = 21_000;

/// Why a round stopped early.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    /// An RPC call failed; the round is retried with backoff.
    #[error("{method} failed: {source}")]
    Rpc {
        method: &'static str,
        source: TransportError,
    },
    /// The database failed: fatal.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The nonce counter moved under the driver: another submitter for the same signer writes
    /// to this store. Fatal, since continuing would hand out a nonce twice.
    #[error("nonce {nonce} was taken by another submitter for this signer")]
    NonceTaken { nonce: u64 },
    /// The signer's nonce counter is missing, though start-up writes it: the store was
    /// altered under the submitter. Fatal.
    #[error("the signer's nonce counter is missing from the store")]
    NoNonceCounter,
    /// The wallet could not sign: fatal (a configuration problem).
    #[error("cannot sign: {0}")]
    Signing(String),
}

/// What simulating a call found, when it did not pass.
enum Rejection {
    Reverted(Bytes),
    Rpc(TransportError),
}

/// With a shared head, how many poll intervals operations in flight wait at most for the head to
/// move before the next round.
const HEAD_WAIT_FALLBACK: u32 = 10;

/// The block a transaction sent now goes into, as simulations should see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NextBlock {
    /// The node's pending block, as it is.
    AsPending,
    /// The pending block at this timestamp (the node's was not later than its latest block's).
    At(u64),
}

impl NextBlock {
    /// From the timestamps of the node's pending block (if it has one) and of its latest.
    fn from_timestamps(pending: Option<u64>, latest: u64) -> Self {
        match pending {
            Some(pending) if pending <= latest => Self::At(latest.saturating_add(1)),
            _ => Self::AsPending,
        }
    }
}

/// A step waiting after failures: an unsent operation's simulation, or a broadcast.
#[derive(Clone, Copy, Debug)]
struct Retry {
    failures: u32,
    not_before: Instant,
}

pub(super) struct Driver {
    shared: Arc<Shared>,
    provider: DynProvider,
    wallet: EthereumWallet,
    chain_id: u64,
    config: SubmitterConfig,
    retries: HashMap<OperationId, Retry>,
    /// The newest transaction of each submitted operation that the node held when last asked,
    /// so that one found gone later is reported as dropped.
    announced: HashMap<OperationId, B256>,
    /// Operations whose fee bump the cap stopped, already warned about.
    capped: HashSet<OperationId>,
    /// The transaction of each submitted operation last seen mined (not yet deep enough).
    mined: HashMap<OperationId, B256>,
    /// The head at which the node was last asked for a gap below the lowest sent nonce.
    gap_checked_at: Option<u64>,
    /// The head the last round saw, if it had operations in flight.
    busy_at: Option<u64>,
}

impl Driver {
    pub(super) fn new(
        shared: Arc<Shared>,
        provider: DynProvider,
        wallet: EthereumWallet,
        chain_id: u64,
        config: SubmitterConfig,
    ) -> Self {
        Self {
            shared,
            provider,
            wallet,
            chain_id,
            config,
            retries: HashMap::new(),
            announced: HashMap::new(),
            capped: HashSet::new(),
            mined: HashMap::new(),
            gap_checked_at: None,
            busy_at: None,
        }
    }

    /// Runs rounds until `shutdown`, or until a fatal error, which it logs.
    pub(super) async fn run(mut self, shutdown: CancellationToken) {
        let _stopped = self.shared.stopped.clone().drop_guard();
        let account = self.shared.account;
        let mut failures = 0;
        loop {
            // A round dropped at any await is like a crash there, which every step survives:
            // nothing takes effect on chain before it is persisted.
            let outcome = tokio::select! {
                () = shutdown.cancelled() => return,
                outcome = self.round() => outcome,
            };
            self.shared.rounds.fetch_add(1, Ordering::Relaxed);
            let pause = match outcome {
                Ok(()) => {
                    failures = 0;
                    self.config.poll_interval
                }
                Err(err @ RoundError::Rpc { .. }) => {
                    failures += 1;
                    let pause = backoff(self.config.retry_delay, failures);
                    tracing::warn!(
                        chain = %account.chain,
                        signer = %account.signer,
                        error = %err,
                        retry_in = ?pause,
                        "submitter round failed"
                    );
                    pause
                }
                Err(err) => {
                    tracing::error!(
                        chain = %account.chain,
                        signer = %account.signer,
                        error = %err,
                        "submitter stopped"
                    );
                    return;
                }
            };
            // With a shared head, operations in flight are looked at again when the head moves
            // (nothing they wait for can change before), or after a longer fallback pause.
            let head_moved = async {
                match (&self.config.heads, self.busy_at) {
                    (Some(heads), Some(seen)) if failures == 0 => heads.changed_from(seen).await,
                    _ => std::future::pending().await,
                }
            };
            let pause = match (&self.config.heads, self.busy_at) {
                (Some(_), Some(_)) if failures == 0 => pause.saturating_mul(HEAD_WAIT_FALLBACK),
                _ => pause,
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.shared.wake.notified() => {}
                () = head_moved => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn round(&mut self) -> Result<(), RoundError> {
        let account = self.shared.account;
        let operations = self
            .shared
            .store
            .call(move |conn| store::unfinished(conn, account))
            .await?;
        self.busy_at = None;
        if operations.is_empty() {
            return Ok(());
        }
        let head = match &self.config.heads {
            Some(heads) => heads.latest().await,
            None => self.provider.get_block_number().await,
        }
        .map_err(rpc("eth_blockNumber"))?;
        self.busy_at = Some(head);
        let unsent = operations.iter().any(|operation| {
            matches!(
                operation.state,
                OperationState::Queued | OperationState::Simulated { .. }
            )
        });
        let next_block = if unsent {
            self.next_block().await?
        } else {
            NextBlock::AsPending
        };
        let lowest_sent = operations
            .iter()
            .filter_map(|operation| match &operation.state {
                OperationState::Submitted(submission) => Some(submission.nonce),
                _ => None,
            })
            .min();
        if let Some(lowest_sent) = lowest_sent {
            if self.gap_checked_at != Some(head) {
                self.fill_nonce_gap(lowest_sent).await?;
                self.gap_checked_at = Some(head);
            }
        }
        for operation in &operations {
            match &operation.state {
                OperationState::Submitted(submission) => {
                    self.track(operation.id, &operation.call, submission, head)
                        .await?;
                }
                OperationState::Queued | OperationState::Simulated { .. } => {
                    self.advance(operation, next_block).await?;
                }
                OperationState::Confirmed(_) | OperationState::Failed(_) => {}
            }
        }
        Ok(())
    }

    /// How simulations should see the block a transaction sent now goes into. A node's pending
    /// block may carry its latest block's timestamp (anvil stamps it with the wall clock's
    /// second, which the latest block may already have), though the next block must be later:
    /// simulated as it stands, a call that becomes valid at the next block's time would be
    /// sent only once the wall clock turns, often too late for that block.
    async fn next_block(&self) -> Result<NextBlock, RoundError> {
        let timestamp = |tag| async move {
            self.provider
                .get_block_by_number(tag)
                .await
                .map(|block| block.map(|block| block.header.timestamp))
                .map_err(rpc("eth_getBlockByNumber"))
        };
        let Some(latest) = timestamp(BlockNumberOrTag::Latest).await? else {
            // Only a node still starting has no latest block.
            return Ok(NextBlock::AsPending);
        };
        let pending = timestamp(BlockNumberOrTag::Pending).await?;
        Ok(NextBlock::from_timestamps(pending, latest))
    }

    /// Simulates an unsent operation and, if it passes, sends it with the next nonce.
    async fn advance(
        &mut self,
        operation: &Operation,
        next_block: NextBlock,
    ) -> Result<(), RoundError> {
        if !self.due(operation.id) {
            return Ok(());
        }
        let request = operation.call.request(self.shared.account.signer);
        let gas_limit = match self.simulate(request, next_block).await {
            Ok(gas_limit) => gas_limit,
            Err(Rejection::Reverted(data)) if retries_revert(operation, now_ms()) => {
                // Not an endpoint failure: no backoff, the next round asks the next state.
                self.retries.remove(&operation.id);
                tracing::debug!(id = %operation.id, %data, "call reverts; simulating again");
                return Ok(());
            }
            Err(Rejection::Reverted(data)) => {
                let reason = FailureReason::Reverted { data };
                return self
                    .finish(operation.id, OperationState::Failed(reason))
                    .await;
            }
            Err(Rejection::Rpc(err)) => return self.rpc_failed(operation.id, err).await,
        };
        self.save(operation.id, OperationState::Simulated { gas_limit })
            .await?;
        let market = match self.market_fees().await {
            Ok(market) => market,
            Err(err) => return self.rpc_failed(operation.id, err).await,
        };
        let fees = fees::initial(market, self.config.max_fee_per_gas);

        let account = self.shared.account;
        let stored_nonce = self
            .shared
            .store
            .call(move |conn| store::next_nonce(conn, account))
            .await?;
        let nonce = stored_nonce.ok_or(RoundError::NoNonceCounter)?;
        let attempt = self.sign(&operation.call, nonce, gas_limit, fees).await?;
        let submission = Submission {
            nonce,
            gas_limit,
            attempts: vec![attempt.clone()],
        };
        let id = operation.id;
        let taken = self
            .shared
            .store
            .call(move |conn| store::take_nonce(conn, account, id, &submission))
            .await?;
        if !taken {
            return Err(RoundError::NonceTaken { nonce });
        }
        self.shared.changed();
        self.retries.remove(&id);
        if let Some(metrics) = &self.config.metrics {
            metrics.tx_sent(account.chain);
        }
        tracing::info!(
            %id,
            key = %operation.key,
            nonce,
            gas_limit,
            hash = %attempt.hash,
            "sending transaction"
        );
        self.broadcast(id, &attempt).await
    }

    /// Follows a sent operation: finishes it once a transaction is mined deep enough (or its
    /// nonce went to another), bumps its fees when it lingers, and makes sure the node holds
    /// its newest transaction.
    async fn track(
        &mut self,
        id: OperationId,
        call: &Call,
        submission: &Submission,
        head: u64,
    ) -> Result<(), RoundError> {
        let account = self.shared.account;
        let safe = head.saturating_sub(self.config.confirmations);
        // Read before the receipts: a nonce used by one of ours at `safe` then has a receipt.
        let settled_nonce = self
            .provider
            .get_transaction_count(account.signer)
            .number(safe)
            .await
            .map_err(rpc("eth_getTransactionCount"))?;
        for hash in submission.hashes() {
            let receipt = self
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(rpc("eth_getTransactionReceipt"))?;
            let Some(receipt) = receipt else { continue };
            let (Some(block_number), Some(block_hash)) = (receipt.block_number, receipt.block_hash)
            else {
                continue;
            };
            if head.saturating_sub(block_number) < self.config.confirmations {
                self.mined.insert(id, hash);
                return Ok(());
            }
            let state = if receipt.status() {
                OperationState::Confirmed(Inclusion {
                    tx_hash: hash,
                    block_number,
                    block_hash,
                    gas_used: receipt.gas_used,
                })
            } else {
                OperationState::Failed(FailureReason::RevertedOnChain {
                    tx_hash: hash,
                    block_number,
                })
            };
            return self.finish(id, state).await;
        }
        if settled_nonce > submission.nonce {
            let reason = FailureReason::Dropped {
                nonce: submission.nonce,
            };
            return self.finish(id, OperationState::Failed(reason)).await;
        }

        let Some(latest) = submission.latest() else {
            return Ok(());
        };
        if let Some(hash) = self.mined.remove(&id) {
            tracing::warn!(
                %id,
                nonce = submission.nonce,
                %hash,
                "mined transaction left the chain; broadcasting again"
            );
            self.retries.remove(&id);
        }
        let waited = now_ms().saturating_sub(latest.signed_at_ms);
        if u128::from(waited) >= self.config.bump_after.as_millis() {
            if let Some(bumped) = self.bump(id, call, submission, latest).await? {
                return self.broadcast(id, &bumped).await;
            }
        }
        // No receipt: the node should hold the newest transaction in its pool. It may not: a
        // reorg between two rounds can take the block that held it without any round seeing
        // the receipt, and a node need not put a reorged-out transaction back in its pool
        // (anvil drops it). Asked every round, so it is sent again within one round, not
        // after `bump_after`.
        self.broadcast(id, latest).await
    }

    /// Every nonce below `lowest_sent` belongs to a finished operation, mined at least
    /// `confirmations` deep. If the node holds fewer transactions of the signer than that, a
    /// reorg deeper than the confirmations took some back: their nonces would never be used
    /// again and every later transaction would wait for them forever. Each missing nonce gets a
    /// transfer of nothing to the signer itself. The operation that used it stays finished; its
    /// owner sees its effect gone from the chain and decides whether to act again.
    async fn fill_nonce_gap(&mut self, lowest_sent: u64) -> Result<(), RoundError> {
        let signer = self.shared.account.signer;
        let held = self
            .provider
            .get_transaction_count(signer)
            .pending()
            .await
            .map_err(rpc("eth_getTransactionCount"))?;
        if held >= lowest_sent {
            return Ok(());
        }
        let market = self.market_fees().await.map_err(|source| RoundError::Rpc {
            method: "eth_feeHistory",
            source,
        })?;
        let fees = fees::initial(market, self.config.max_fee_per_gas);
        let nothing = Call {
            to: TxKind::Call(signer),
            value: U256::ZERO,
            input: Bytes::new(),
        };
        for nonce in held..lowest_sent {
            let filler = self.sign(&nothing, nonce, PLAIN_TRANSFER_GAS, fees).await?;
            tracing::warn!(
                chain = %self.shared.account.chain,
                %signer,
                nonce,
                hash = %filler.hash,
                "a reorg deeper than the confirmations took this nonce back; filling it"
            );
            if let Err(err) = self.provider.send_raw_transaction(&filler.raw).await {
                // The caller checks again at the next head.
                tracing::warn!(nonce, error = %without_url(err), "nonce filler refused; retrying at the next head");
                return Ok(());
            }
        }
        Ok(())
    }

    /// Signs and records a replacement of `latest` with higher fees; `None` if the fee cap
    /// leaves no room.
    async fn bump(
        &mut self,
        id: OperationId,
        call: &Call,
        submission: &Submission,
        latest: &Attempt,
    ) -> Result<Option<Attempt>, RoundError> {
        let market = self.market_fees().await.map_err(|source| RoundError::Rpc {
            method: "eth_feeHistory",
            source,
        })?;
        let Some(fees) = fees::bumped(latest.fees, market, self.config.max_fee_per_gas) else {
            if self.capped.insert(id) {
                tracing::warn!(
                    %id,
                    nonce = submission.nonce,
                    fees = ?latest.fees,
                    "transaction lingers but the fee cap allows no bump"
                );
            }
            return Ok(None);
        };
        let attempt = self
            .sign(call, submission.nonce, submission.gas_limit, fees)
            .await?;
        let mut bumped = submission.clone();
        bumped.attempts.push(attempt.clone());
        self.save(id, OperationState::Submitted(bumped)).await?;
        if let Some(metrics) = &self.config.metrics {
            metrics.fee_bump(self.shared.account.chain);
        }
        tracing::info!(
            %id,
            nonce = submission.nonce,
            from = ?latest.fees,
            to = ?fees,
            hash = %attempt.hash,
            "bumping fees"
        );
        Ok(Some(attempt))
    }

    /// Hands `attempt` to the node unless it already holds it; a refusal is retried later
    /// with backoff (an attempt that can never be accepted is replaced by the next bump).
    async fn broadcast(&mut self, id: OperationId, attempt: &Attempt) -> Result<(), RoundError> {
        if !self.due(id) {
            return Ok(());
        }
        // Asking first avoids telling "already known" apart in each client's error wording.
        let known = self
            .provider
            .get_transaction_by_hash(attempt.hash)
            .await
            .map_err(rpc("eth_getTransactionByHash"))?
            .is_some();
        if !known {
            if self.announced.remove(&id) == Some(attempt.hash) {
                tracing::warn!(
                    %id,
                    hash = %attempt.hash,
                    "node no longer holds the transaction; broadcasting again"
                );
            }
            if let Err(err) = self.provider.send_raw_transaction(&attempt.raw).await {
                let failures = self.retry_later(id);
                tracing::warn!(
                    %id,
                    hash = %attempt.hash,
                    error = %without_url(err),
                    failures,
                    "broadcast refused; retrying later"
                );
                return Ok(());
            }
        }
        self.retries.remove(&id);
        self.announced.insert(id, attempt.hash);
        Ok(())
    }

    /// Runs the call (`eth_call`, then `eth_estimateGas`) and returns the gas limit to send it
    /// with.
    ///
    /// Both run against the pending block, the one a transaction sent now goes into: its
    /// timestamp (corrected by `next_block`) and the pool's transactions apply, so a call that
    /// becomes valid in the next block is sent in time for it rather than one block late.
    async fn simulate(
        &self,
        request: TransactionRequest,
        next_block: NextBlock,
    ) -> Result<u64, Rejection> {
        let overrides = match next_block {
            NextBlock::AsPending => None,
            NextBlock::At(time) => Some(BlockOverrides {
                time: Some(time),
                ..BlockOverrides::default()
            }),
        };
        self.provider
            .call(request.clone())
            .block(BlockId::pending())
            .with_block_overrides_opt(overrides.clone())
            .await
            .map_err(rejection)?;
        let estimate = self
            .provider
            .estimate_gas(request)
            .block(BlockId::pending())
            .with_block_overrides_opt(overrides)
            .await
            .map_err(rejection)?;
        let margin = 100u64.saturating_add(self.config.gas_margin_percent);
        Ok(estimate.saturating_mul(margin) / 100)
    }

    async fn market_fees(&self) -> Result<Fees, TransportError> {
        let estimate = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(without_url)?;
        Ok(Fees {
            max_fee_per_gas: estimate.max_fee_per_gas,
            max_priority_fee_per_gas: estimate.max_priority_fee_per_gas,
        })
    }

    async fn sign(
        &self,
        call: &Call,
        nonce: u64,
        gas_limit: u64,
        fees: Fees,
    ) -> Result<Attempt, RoundError> {
        let request = call
            .request(self.shared.account.signer)
            .with_chain_id(self.chain_id)
            .with_nonce(nonce)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|err| RoundError::Signing(err.to_string()))?;
        Ok(Attempt {
            hash: *envelope.tx_hash(),
            fees,
            signed_at_ms: now_ms(),
            raw: envelope.encoded_2718().into(),
        })
    }

    /// Counts an RPC failure of an unsent operation; fails it once the attempts are spent.
    async fn rpc_failed(&mut self, id: OperationId, err: TransportError) -> Result<(), RoundError> {
        let failures = self.retry_later(id);
        if failures < self.config.rpc_attempts {
            tracing::warn!(
                %id,
                error = %err,
                failures,
                "RPC failed before sending; retrying later"
            );
            return Ok(());
        }
        let reason = FailureReason::Rpc {
            attempts: failures,
            message: err.to_string(),
        };
        self.finish(id, OperationState::Failed(reason)).await
    }

    async fn finish(&mut self, id: OperationId, state: OperationState) -> Result<(), RoundError> {
        match &state {
            OperationState::Confirmed(inclusion) => {
                tracing::info!(
                    %id,
                    hash = %inclusion.tx_hash,
                    block = inclusion.block_number,
                    "operation confirmed"
                );
                if let Some(metrics) = &self.config.metrics {
                    metrics.tx_confirmed(self.shared.account.chain);
                }
            }
            OperationState::Failed(reason) => {
                tracing::warn!(%id, %reason, "operation failed");
                if let Some(metrics) = &self.config.metrics {
                    metrics.tx_failed(self.shared.account.chain, reason.label());
                }
            }
            _ => {}
        }
        self.save(id, state).await?;
        self.retries.remove(&id);
        self.announced.remove(&id);
        self.capped.remove(&id);
        self.mined.remove(&id);
        Ok(())
    }

    async fn save(&self, id: OperationId, state: OperationState) -> Result<(), RoundError> {
        self.shared
            .store
            .call(move |conn| store::set_state(conn, id, &state))
            .await?;
        self.shared.changed();
        Ok(())
    }

    fn due(&self, id: OperationId) -> bool {
        self.retries
            .get(&id)
            .is_none_or(|retry| Instant::now() >= retry.not_before)
    }

    /// Records one more failure of `id`'s next step and when to try again; returns the count.
    fn retry_later(&mut self, id: OperationId) -> u32 {
        let base = self.config.retry_delay;
        let retry = self.retries.entry(id).or_insert(Retry {
            failures: 0,
            not_before: Instant::now(),
        });
        retry.failures = retry.failures.saturating_add(1);
        retry.not_before = Instant::now() + backoff(base, retry.failures);
        retry.failures
    }
}

/// Whether a revert of `operation`'s call at `now_ms` is to be retried rather than fail it.
fn retries_revert(operation: &Operation, now_ms: u64) -> bool {
    operation.retry_reverts
        && operation
            .retry_reverts_until_ms
            .is_none_or(|until| now_ms < until)
}

/// Whether a failed `eth_call` or `eth_estimateGas` means the call reverts.
fn rejection(err: TransportError) -> Rejection {
    // Nodes answer a revert with code 3 and the data, or (older ones, bare `revert()`) with an
    // "execution reverted" message and no data.
    if let Some(payload) = err.as_error_resp() {
        if payload.code == 3 || payload.message.contains("revert") {
            return Rejection::Reverted(payload.as_revert_data().unwrap_or_default());
        }
    }
    Rejection::Rpc(without_url(err))
}

fn rpc(method: &'static str) -> impl FnOnce(TransportError) -> RoundError {
    move |source| RoundError::Rpc {
        method,
        source: without_url(source),
    }
}

#[cfg(test)]
mod tests {
    use super::NextBlock;

    #[test]
    fn simulations_see_the_next_block_later_than_the_latest() {
        // The pending block is already later, or the node has none: simulate as it is.
        assert_eq!(
            NextBlock::from_timestamps(Some(101), 100),
            NextBlock::AsPending
        );
        assert_eq!(NextBlock::from_timestamps(None, 100), NextBlock::AsPending);
        // Stamped like the latest block (or earlier): the next block is a second later at least.
        assert_eq!(
            NextBlock::from_timestamps(Some(100), 100),
            NextBlock::At(101)
        );
        assert_eq!(
            NextBlock::from_timestamps(Some(90), 100),
            NextBlock::At(101)
        );
    }
}
