//! The submitter's background task: one round over the operations in flight per poll
//! interval (or as soon as one is submitted), moving each along its state machine.
//!
//! A round sends every unsent operation it can (several transactions in flight with
//! consecutive nonces, up to `max_in_flight`), simulating up to `parallel_simulations` at once
//! and recording each batch's transactions and nonces in one database transaction before any
//! is broadcast. It looks at each sent operation on chain once per head (or poll interval), so
//! a round that only a new submission woke costs nothing for the transactions already out.

use super::{
    fees,
    operation::{
        Attempt, Call, FailureReason, Fees, Inclusion, Operation, OperationId, OperationState,
        Submission,
    },
    store, Shared, SubmitterConfig,
};
use crate::{heads::HEAD_WAIT_FALLBACK, provider::without_url, retry::backoff};
use alloy::{
    eips::{eip2718::Encodable2718, BlockId, BlockNumberOrTag},
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Bytes, TxKind, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::{BlockOverrides, TransactionRequest},
    transports::{TransportError, TransportErrorKind},
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

/// The signer's transaction count, as a round reads it once for every operation it looks at.
#[derive(Clone, Copy, Debug)]
struct ChainNonces {
    /// At the latest block: a nonce below it is used by a mined transaction.
    mined: u64,
    /// At the head less the confirmations: a nonce below it is used for good.
    settled: u64,
}

/// When a sent operation was last looked at on chain.
#[derive(Clone, Copy, Debug)]
struct Looked {
    head: u64,
    at: Instant,
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
    /// When each sent operation was last looked at: again only at another head, or once the
    /// poll interval has passed.
    looked: HashMap<OperationId, Looked>,
    /// Sent operations this round found ended, recorded together once it has looked at all.
    ended: Vec<(OperationId, OperationState)>,
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
            looked: HashMap::new(),
            ended: Vec::new(),
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
            // (nothing they wait for can change before); with nothing unfinished, only a
            // submission (which wakes the round) brings work. Either waits at most the fallback.
            let next_round = async {
                match (&self.config.heads, self.busy_at) {
                    (Some(heads), Some(seen)) if failures == 0 => {
                        heads.changed_from_or_fallback(seen, pause).await;
                    }
                    (_, None) if failures == 0 => {
                        tokio::time::sleep(pause.saturating_mul(HEAD_WAIT_FALLBACK)).await;
                    }
                    _ => tokio::time::sleep(pause).await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.shared.wake.notified() => {}
                () = next_round => {}
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
        let mut sent = Vec::new();
        let mut unsent = Vec::new();
        for operation in &operations {
            match &operation.state {
                OperationState::Submitted(submission) => sent.push((operation, submission)),
                OperationState::Queued | OperationState::Simulated { .. } => {
                    unsent.push(operation);
                }
                OperationState::Confirmed(_) | OperationState::Failed(_) => {}
            }
        }
        if let Some(lowest_sent) = sent.iter().map(|(_, submission)| submission.nonce).min() {
            if self.gap_checked_at != Some(head) {
                self.fill_nonce_gap(lowest_sent).await?;
                self.gap_checked_at = Some(head);
            }
        }
        // Operations with a nonce first: an unsent one may be waiting for room in flight.
        let mut in_flight = sent.len();
        let due: Vec<_> = sent
            .into_iter()
            .filter(|(operation, _)| self.looked_due(operation.id, head))
            .collect();
        if !due.is_empty() {
            let nonces = self.chain_nonces(head).await?;
            self.ended.clear();
            for (operation, submission) in due {
                let ended = self
                    .track(operation.id, &operation.call, submission, head, nonces)
                    .await?;
                if ended {
                    in_flight = in_flight.saturating_sub(1);
                }
            }
            self.finish_ended().await?;
        }
        let room = self
            .config
            .max_in_flight
            .map_or(usize::MAX, |limit| limit.saturating_sub(in_flight));
        unsent.retain(|operation| self.due(operation.id));
        if !unsent.is_empty() && room > 0 {
            let next_block = self.next_block().await?;
            self.advance(&unsent, room, head, next_block).await?;
        }
        Ok(())
    }

    /// Whether the sent operation `id` is to be looked at on chain this round, at `head`: at
    /// another head, or once the poll interval passed (with a shared head, which tells of every
    /// new block, only after the longer fallback: a round a new submission woke at the same
    /// head finds nothing new about the transactions already out).
    fn looked_due(&self, id: OperationId, head: u64) -> bool {
        let again_after = match self.config.heads {
            Some(_) => self.config.poll_interval.saturating_mul(HEAD_WAIT_FALLBACK),
            None => self.config.poll_interval,
        };
        self.looked
            .get(&id)
            .is_none_or(|looked| looked.head != head || looked.at.elapsed() >= again_after)
    }

    /// The signer's transaction count at the latest block and at the last one `confirmations`
    /// below `head`.
    async fn chain_nonces(&self, head: u64) -> Result<ChainNonces, RoundError> {
        let signer = self.shared.account.signer;
        let safe = head.saturating_sub(self.config.confirmations);
        let count = |block: BlockId| async move {
            self.provider
                .get_transaction_count(signer)
                .block_id(block)
                .await
                .map_err(rpc("eth_getTransactionCount"))
        };
        // Read before the latest: a nonce used by one of ours at `safe` is then below `mined`.
        let settled = count(BlockId::number(safe)).await?;
        let mined = count(BlockId::latest()).await?;
        Ok(ChainNonces { mined, settled })
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

    /// Simulates the unsent `operations`, [`parallel_simulations`] at a time, and sends up to
    /// `room` of those that pass, each batch signed with the next nonces and recorded in one
    /// database transaction before any of it is broadcast.
    ///
    /// [`parallel_simulations`]: SubmitterConfig::parallel_simulations
    async fn advance(
        &mut self,
        operations: &[&Operation],
        mut room: usize,
        head: u64,
        next_block: NextBlock,
    ) -> Result<(), RoundError> {
        let mut market = None;
        for batch in operations.chunks(self.config.parallel_simulations.max(1)) {
            if room == 0 {
                break;
            }
            let simulations = self.simulate_all(batch, next_block).await;
            let mut passed = Vec::with_capacity(batch.len());
            for (&operation, simulation) in batch.iter().zip(simulations) {
                match simulation {
                    Ok(gas_limit) => passed.push((operation, gas_limit)),
                    Err(Rejection::Reverted(data)) if retries_revert(operation, now_ms()) => {
                        // Not an endpoint failure: no backoff, the next round asks the next state.
                        self.retries.remove(&operation.id);
                        tracing::debug!(id = %operation.id, %data, "call reverts; simulating again");
                    }
                    Err(Rejection::Reverted(data)) => {
                        let reason = FailureReason::Reverted { data };
                        self.finish(operation.id, OperationState::Failed(reason))
                            .await?;
                    }
                    Err(Rejection::Rpc(err)) => {
                        self.rpc_failed(operation.id, err.to_string()).await?;
                    }
                }
            }
            passed.truncate(room);
            if passed.is_empty() {
                continue;
            }
            // One fee estimate per round: the market moves per block, not per transaction.
            let current = match market {
                Some(current) => current,
                None => match self.market_fees().await {
                    Ok(current) => *market.insert(current),
                    Err(err) => {
                        for (operation, _) in &passed {
                            self.rpc_failed(operation.id, err.to_string()).await?;
                        }
                        continue;
                    }
                },
            };
            let fees = fees::initial(current, self.config.max_fee_per_gas);
            let sent = self.take_nonces(&passed, fees).await?;
            room = room.saturating_sub(sent.len());
            for (operation, attempt) in sent {
                self.looked.insert(
                    operation.id,
                    Looked {
                        head,
                        at: Instant::now(),
                    },
                );
                self.broadcast(operation.id, &attempt, Fresh::Yes).await?;
            }
        }
        Ok(())
    }

    /// Signs each of `passed` (operations and their gas limits) with the next nonces, in
    /// order, and records them all in one database transaction; returns each operation's
    /// first attempt, to broadcast.
    async fn take_nonces<'o>(
        &mut self,
        passed: &[(&'o Operation, u64)],
        fees: Fees,
    ) -> Result<Vec<(&'o Operation, Attempt)>, RoundError> {
        let account = self.shared.account;
        let stored_nonce = self
            .shared
            .store
            .call(move |conn| store::next_nonce(conn, account))
            .await?;
        let first = stored_nonce.ok_or(RoundError::NoNonceCounter)?;
        let mut signed = Vec::with_capacity(passed.len());
        let mut records = Vec::with_capacity(passed.len());
        for (nonce, &(operation, gas_limit)) in (first..).zip(passed) {
            let attempt = self.sign(&operation.call, nonce, gas_limit, fees).await?;
            records.push((
                operation.id,
                Submission {
                    nonce,
                    gas_limit,
                    attempts: vec![attempt.clone()],
                },
            ));
            signed.push((operation, attempt));
        }
        let taken = self
            .shared
            .store
            .call(move |conn| store::take_nonces(conn, account, &records))
            .await?;
        if !taken {
            return Err(RoundError::NonceTaken { nonce: first });
        }
        self.shared.changed();
        for ((operation, attempt), nonce) in signed.iter().zip(first..) {
            self.retries.remove(&operation.id);
            if let Some(metrics) = &self.config.metrics {
                metrics.tx_sent(account.chain);
            }
            tracing::info!(
                id = %operation.id,
                key = %operation.key,
                nonce,
                hash = %attempt.hash,
                "sending transaction"
            );
        }
        Ok(signed)
    }

    /// Follows a sent operation: finishes it once a transaction is mined deep enough (or its
    /// nonce went to another), bumps its fees when it lingers, and makes sure the node holds
    /// its newest transaction. Receipts are asked for only once the signer's count at the
    /// latest block says the nonce is used. Returns whether the operation ended.
    async fn track(
        &mut self,
        id: OperationId,
        call: &Call,
        submission: &Submission,
        head: u64,
        nonces: ChainNonces,
    ) -> Result<bool, RoundError> {
        self.looked.insert(
            id,
            Looked {
                head,
                at: Instant::now(),
            },
        );
        let used = nonces.mined > submission.nonce;
        for hash in submission.hashes().filter(|_| used) {
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
                return Ok(false);
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
            self.ended.push((id, state));
            return Ok(true);
        }
        if nonces.settled > submission.nonce {
            let reason = FailureReason::Dropped {
                nonce: submission.nonce,
            };
            self.ended.push((id, OperationState::Failed(reason)));
            return Ok(true);
        }

        let Some(latest) = submission.latest() else {
            return Ok(false);
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
                self.broadcast(id, &bumped, Fresh::Yes).await?;
                return Ok(false);
            }
        }
        // No receipt: the node should hold the newest transaction in its pool. It may not: a
        // reorg between two rounds can take the block that held it without any round seeing
        // the receipt, and a node need not put a reorged-out transaction back in its pool
        // (anvil drops it). Asked every round, so it is sent again within one round, not
        // after `bump_after`.
        self.broadcast(id, latest, Fresh::No).await?;
        Ok(false)
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

    /// Hands `attempt` to the node unless it already holds it (asked unless the attempt was
    /// just signed); a refusal is retried later with backoff (an attempt that can never be
    /// accepted is replaced by the next bump).
    async fn broadcast(
        &mut self,
        id: OperationId,
        attempt: &Attempt,
        fresh: Fresh,
    ) -> Result<(), RoundError> {
        if !self.due(id) {
            return Ok(());
        }
        // Asking first avoids telling "already known" apart in each client's error wording.
        let known = match fresh {
            Fresh::Yes => false,
            Fresh::No => self
                .provider
                .get_transaction_by_hash(attempt.hash)
                .await
                .map_err(rpc("eth_getTransactionByHash"))?
                .is_some(),
        };
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

    /// Simulates each of `operations` at once (see [`Self::simulate`]); the results in their
    /// order.
    async fn simulate_all(
        &self,
        operations: &[&Operation],
        next_block: NextBlock,
    ) -> Vec<Result<u64, Rejection>> {
        let signer = self.shared.account.signer;
        if let [operation] = operations {
            return vec![
                self.simulate(operation.call.request(signer), next_block)
                    .await,
            ];
        }
        let mut running = tokio::task::JoinSet::new();
        for (index, operation) in operations.iter().enumerate() {
            let request = operation.call.request(signer);
            let (provider, margin) = (self.provider.clone(), self.config.gas_margin_percent);
            running.spawn(async move {
                let simulated = simulate(&provider, request, next_block, margin).await;
                (index, simulated)
            });
        }
        let mut results: Vec<Option<Result<u64, Rejection>>> =
            operations.iter().map(|_| None).collect();
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok((index, simulated)) => results[index] = Some(simulated),
                // Only a panic in the RPC client ends a simulation without a result.
                Err(err) => tracing::error!(error = %err, "a simulation task failed"),
            }
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(Rejection::Rpc(TransportErrorKind::custom_str(
                        "the simulation did not finish",
                    )))
                })
            })
            .collect()
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
        simulate(
            &self.provider,
            request,
            next_block,
            self.config.gas_margin_percent,
        )
        .await
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
    async fn rpc_failed(&mut self, id: OperationId, err: String) -> Result<(), RoundError> {
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
            message: err,
        };
        self.finish(id, OperationState::Failed(reason)).await
    }

    async fn finish(&mut self, id: OperationId, state: OperationState) -> Result<(), RoundError> {
        self.ended_log(id, &state);
        self.save(id, state).await?;
        self.forget(id);
        Ok(())
    }

    /// Records every operation this round found ended in one database transaction (their
    /// outcomes are read from the chain, so a crash before it only means reading them again).
    async fn finish_ended(&mut self) -> Result<(), RoundError> {
        if self.ended.is_empty() {
            return Ok(());
        }
        let ended = std::mem::take(&mut self.ended);
        let states = ended.clone();
        self.shared
            .store
            .call(move |conn| store::set_states(conn, &states))
            .await?;
        self.shared.changed();
        for (id, state) in ended {
            self.ended_log(id, &state);
            self.forget(id);
        }
        Ok(())
    }

    /// Logs and counts `id` ending in `state`.
    fn ended_log(&self, id: OperationId, state: &OperationState) {
        match state {
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
    }

    /// Drops what the driver kept about `id`, which has ended.
    fn forget(&mut self, id: OperationId) {
        self.retries.remove(&id);
        self.announced.remove(&id);
        self.capped.remove(&id);
        self.mined.remove(&id);
        self.looked.remove(&id);
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

/// Runs `request` (`eth_call`, then `eth_estimateGas`) against the pending block as
/// `next_block` says, and returns its gas estimate with `margin_percent` added.
async fn simulate(
    provider: &DynProvider,
    request: TransactionRequest,
    next_block: NextBlock,
    margin_percent: u64,
) -> Result<u64, Rejection> {
    let overrides = match next_block {
        NextBlock::AsPending => None,
        NextBlock::At(time) => Some(BlockOverrides {
            time: Some(time),
            ..BlockOverrides::default()
        }),
    };
    provider
        .call(request.clone())
        .block(BlockId::pending())
        .with_block_overrides_opt(overrides.clone())
        .await
        .map_err(rejection)?;
    let estimate = provider
        .estimate_gas(request)
        .block(BlockId::pending())
        .with_block_overrides_opt(overrides)
        .await
        .map_err(rejection)?;
    let margin = 100u64.saturating_add(margin_percent);
    Ok(estimate.saturating_mul(margin) / 100)
}

/// Whether a transaction about to be broadcast was signed just now (the node cannot hold it
/// yet) or may already be in the node's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fresh {
    Yes,
    No,
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
