//! The submitter over a real anvil: confirmation, idempotency, simulation, nonces, restarts,
//! fee bumps and reorgs.

mod common;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, Provider},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolInterface},
};
use common::{Chain, TempStore, DOMAIN};
use nxtp_agent::CancellationToken;
use nxtp_bindings::RecordingRecipient;
use nxtp_chain::{
    submitter::{Operation, Submission},
    ChainMetrics, FailureReason, FinalState, OperationId, OperationState, SubmitError,
    SubmitOptions, Submitter, SubmitterConfig,
};
use std::{future::Future, time::Duration};

/// Every wait is bounded, so a broken submitter fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A recipient contract to call, deployed by dev account 0; the submitter signs as account 1.
struct Setup {
    chain: Chain,
    recipient: Address,
    temp: TempStore,
}

impl Setup {
    async fn new() -> Self {
        let chain = Chain::start().await;
        let recipient = *RecordingRecipient::deploy(&chain.wallet)
            .await
            .expect("deploys recipient")
            .address();
        Self {
            chain,
            recipient,
            temp: TempStore::new(),
        }
    }

    fn config(&self, confirmations: u64) -> SubmitterConfig {
        let mut config = SubmitterConfig::new(&self.chain.config);
        config.confirmations = confirmations;
        config.poll_interval = Duration::from_millis(50);
        config.retry_delay = Duration::from_millis(50);
        config
    }

    async fn start(&self, config: SubmitterConfig, shutdown: &CancellationToken) -> Submitter {
        Submitter::start(
            self.temp.open(),
            DOMAIN,
            self.chain.reader.clone(),
            self.chain.signer(1),
            config,
            shutdown.clone(),
        )
        .await
        .expect("starts")
    }

    /// `handle(...)` on the recipient, for message `nonce`.
    fn handle(&self, nonce: u32) -> TransactionRequest {
        let call = RecordingRecipient::handleCall {
            origin: 1000,
            nonce,
            sender: B256::ZERO,
            body: Bytes::new(),
        };
        TransactionRequest::default()
            .to(self.recipient)
            .input(call.abi_encode().into())
    }

    async fn set_rejecting(&self, rejecting: bool) {
        let receipt = RecordingRecipient::new(self.recipient, &self.chain.wallet)
            .setRejecting(rejecting)
            .send()
            .await
            .expect("sends")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
    }

    async fn handled(&self) -> U256 {
        RecordingRecipient::new(self.recipient, &self.chain.reader)
            .handledCount()
            .call()
            .await
            .expect("reads")
    }

    /// Transactions the submitter's account has had mined.
    async fn sent(&self) -> u64 {
        let signer = self.chain.signer(1).address();
        self.chain
            .reader
            .get_transaction_count(signer)
            .await
            .expect("nonce")
    }

    async fn nonce_of(&self, hash: B256) -> u64 {
        let tx = self
            .chain
            .reader
            .get_transaction_by_hash(hash)
            .await
            .expect("reads")
            .expect("mined");
        alloy::consensus::Transaction::nonce(&tx)
    }
}

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("finished in time")
}

fn confirmed(state: FinalState) -> nxtp_chain::submitter::Inclusion {
    match state {
        FinalState::Confirmed(inclusion) => inclusion,
        FinalState::Failed(reason) => panic!("expected confirmed, got failed: {reason}"),
    }
}

/// Waits for the operation to end while mining a block every 100 ms.
async fn mine_until_final(setup: &Setup, submitter: &Submitter, id: OperationId) -> FinalState {
    let wait = submitter.wait(id);
    tokio::pin!(wait);
    bounded(async {
        loop {
            tokio::select! {
                done = &mut wait => return done.expect("waits"),
                () = tokio::time::sleep(Duration::from_millis(100)) => setup.chain.mine(1).await,
            }
        }
    })
    .await
}

/// Waits until the driver has finished two more rounds: the second began after this call, so
/// it saw everything before it. A test asserting that the submitter did *not* act waits on
/// this rather than on a timer.
async fn two_more_rounds(submitter: &Submitter) {
    let start = submitter.rounds();
    bounded(async {
        while submitter.rounds() < start + 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Polls the operation until `ready` holds.
async fn status_until(
    submitter: &Submitter,
    id: OperationId,
    ready: impl Fn(&Operation) -> bool,
) -> Operation {
    bounded(async {
        loop {
            let operation = submitter.status(id).await.expect("status");
            if ready(&operation) {
                return operation;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Waits (bounded) until operation `id` has a transaction out.
async fn until_sent(submitter: &Submitter, id: OperationId) -> Operation {
    status_until(submitter, id, |op| {
        matches!(op.state, OperationState::Submitted(_))
    })
    .await
}

/// Waits (bounded) until the driver has finished its first round.
async fn first_round(submitter: &Submitter) {
    bounded(async {
        while submitter.rounds() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Waits (bounded) until the node has a receipt for `hash`.
async fn until_mined(reader: &impl Provider, hash: B256) {
    until_node(|| async {
        reader
            .get_transaction_receipt(hash)
            .await
            .expect("reads")
            .is_some()
    })
    .await;
}

/// Waits (bounded) until the node holds `hash`, in its pool or in a block.
async fn until_held(reader: &impl Provider, hash: B256) {
    until_node(|| async {
        reader
            .get_transaction_by_hash(hash)
            .await
            .expect("reads")
            .is_some()
    })
    .await;
}

/// Asks the node every 20 ms, bounded, until `ready` answers yes.
async fn until_node<F: Future<Output = bool>>(ready: impl Fn() -> F) {
    bounded(async {
        while !ready().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

fn submission(operation: &Operation) -> &Submission {
    match &operation.state {
        OperationState::Submitted(submission) => submission,
        other => panic!("expected submitted, got {other:?}"),
    }
}

#[tokio::test]
async fn confirms_a_call_once_it_is_deep_enough() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(2), &shutdown).await;

    let id = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    // Mined at once (automine), but two confirmations are required.
    let sent = until_sent(&submitter, id).await;
    assert_eq!(submission(&sent).nonce, 0);
    two_more_rounds(&submitter).await;
    assert!(matches!(
        submitter.status(id).await.expect("status").state,
        OperationState::Submitted(_)
    ));

    let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
    let head = setup.chain.head().await;
    assert!(head >= inclusion.block_number + 2, "confirmed too early");
    assert_eq!(setup.handled().await, U256::from(1));
    assert_eq!(setup.sent().await, 1);
    shutdown.cancel();
    bounded(submitter.stopped()).await;
}

#[tokio::test]
async fn an_idle_submitter_reads_its_store_rarely() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let config = setup.config(1);
    let poll = config.poll_interval;
    let submitter = setup.start(config, &shutdown).await;
    first_round(&submitter).await;
    // Nothing unfinished: a round every poll interval would be 6 here (the fallback is 10).
    let idle_from = submitter.rounds();
    tokio::time::sleep(poll * 6).await;
    assert!(
        submitter.rounds() <= idle_from + 1,
        "{} rounds in 6 poll intervals with nothing to do",
        submitter.rounds() - idle_from
    );

    shutdown.cancel();
    bounded(submitter.stopped()).await;
}

#[tokio::test]
async fn a_submission_wakes_an_idle_driver_at_once() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let mut config = setup.config(1);
    // Far beyond the test's timeout: only the submission's wake-up can start the next round.
    config.poll_interval = TIMEOUT * 100;
    let submitter = setup.start(config, &shutdown).await;
    first_round(&submitter).await;
    let id = submitter
        .submit("handle-idle", setup.handle(1))
        .await
        .expect("submits");
    let sent = until_sent(&submitter, id).await;
    assert_eq!(submission(&sent).nonce, 0);
    shutdown.cancel();
    bounded(submitter.stopped()).await;
}

#[tokio::test]
async fn one_key_is_one_operation_and_one_transaction() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(0), &shutdown).await;

    let id = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let again = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("resubmits");
    assert_eq!(again, id);
    confirmed(bounded(submitter.wait(id)).await.expect("waits"));
    let after = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("resubmits");
    assert_eq!(after, id);

    let reused = submitter.submit("handle-1", setup.handle(2)).await;
    assert!(
        matches!(reused, Err(SubmitError::KeyReused { existing, .. }) if existing == id),
        "{reused:?}"
    );
    two_more_rounds(&submitter).await;
    assert_eq!(setup.handled().await, U256::from(1));
    assert_eq!(setup.sent().await, 1);
}

#[tokio::test]
async fn reverting_call_fails_in_simulation_without_using_a_nonce() {
    let setup = Setup::new().await;
    setup.set_rejecting(true).await;
    let shutdown = CancellationToken::new();
    let metrics = ChainMetrics::detached().expect("metrics");
    let mut config = setup.config(0);
    config.metrics = Some(metrics);
    let submitter = setup.start(config, &shutdown).await;

    let id = submitter
        .submit("rejected", setup.handle(7))
        .await
        .expect("submits");
    let FinalState::Failed(FailureReason::Reverted { data }) =
        bounded(submitter.wait(id)).await.expect("waits")
    else {
        panic!("expected a revert in simulation");
    };
    let error = RecordingRecipient::RecordingRecipientErrors::abi_decode(&data)
        .expect("the contract's error");
    let RecordingRecipient::RecordingRecipientErrors::Rejected(rejected) = error;
    assert_eq!(rejected.nonce, 7);
    assert_eq!(setup.sent().await, 0, "no transaction was sent");

    setup.set_rejecting(false).await;
    let next = submitter
        .submit("accepted", setup.handle(8))
        .await
        .expect("submits");
    let inclusion = confirmed(bounded(submitter.wait(next)).await.expect("waits"));
    assert_eq!(
        setup.nonce_of(inclusion.tx_hash).await,
        0,
        "the nonce was not used"
    );
}

#[tokio::test]
async fn retryable_revert_waits_until_the_call_passes() {
    let setup = Setup::new().await;
    setup.set_rejecting(true).await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(0), &shutdown).await;

    let options = SubmitOptions {
        retry_reverts: true,
        retry_reverts_for: None,
    };
    let id = submitter
        .submit_with("later", setup.handle(1), options)
        .await
        .expect("submits");
    two_more_rounds(&submitter).await;
    assert_eq!(
        submitter.status(id).await.expect("status").state,
        OperationState::Queued
    );

    setup.set_rejecting(false).await;
    confirmed(bounded(submitter.wait(id)).await.expect("waits"));
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn nonces_stay_contiguous_across_operations() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(0), &shutdown).await;

    let mut ids = Vec::new();
    for nonce in 0..3 {
        ids.push(
            submitter
                .submit(&format!("handle-{nonce}"), setup.handle(nonce))
                .await
                .expect("submits"),
        );
    }
    // An unknown selector reverts (with no data) between them.
    let garbage = TransactionRequest::default()
        .to(setup.recipient)
        .input(Bytes::from_static(&[1, 2, 3, 4]).into());
    let bad = submitter.submit("garbage", garbage).await.expect("submits");
    ids.push(
        submitter
            .submit("handle-3", setup.handle(3))
            .await
            .expect("submits"),
    );

    assert_eq!(
        bounded(submitter.wait(bad)).await.expect("waits"),
        FinalState::Failed(FailureReason::Reverted { data: Bytes::new() })
    );
    let mut nonces = Vec::new();
    for id in ids {
        let inclusion = confirmed(bounded(submitter.wait(id)).await.expect("waits"));
        nonces.push(setup.nonce_of(inclusion.tx_hash).await);
    }
    assert_eq!(nonces, [0, 1, 2, 3]);
    assert_eq!(setup.handled().await, U256::from(4));
}

#[tokio::test]
async fn restart_mid_flight_confirms_the_same_transaction() {
    let setup = Setup::new().await;
    setup
        .chain
        .reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");

    let first_shutdown = CancellationToken::new();
    let first = setup.start(setup.config(1), &first_shutdown).await;
    let id = first
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let sent = status_until(&first, id, |op| {
        matches!(op.state, OperationState::Submitted(_))
    })
    .await;
    let hash = submission(&sent).attempts[0].hash;
    // The attempt is recorded before it is broadcast: wait until the node holds it (automine
    // is off, so it waits in the pool) before stopping.
    until_held(&setup.chain.reader, hash).await;
    first_shutdown.cancel();
    bounded(first.stopped()).await;
    assert!(
        setup
            .chain
            .reader
            .get_transaction_by_hash(hash)
            .await
            .expect("reads")
            .is_some(),
        "the transaction waits in the pool"
    );

    let shutdown = CancellationToken::new();
    let second = setup.start(setup.config(1), &shutdown).await;
    assert_eq!(
        second
            .submit("handle-1", setup.handle(1))
            .await
            .expect("resubmits"),
        id
    );
    let inclusion = confirmed(mine_until_final(&setup, &second, id).await);
    assert_eq!(inclusion.tx_hash, hash);
    let stored = second.status(id).await.expect("status");
    assert_eq!(
        stored.state.final_state(),
        Some(FinalState::Confirmed(inclusion))
    );
    assert_eq!(setup.sent().await, 1);
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn lingering_transaction_is_replaced_with_higher_fees_and_the_same_nonce() {
    let setup = Setup::new().await;
    setup
        .chain
        .reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    let shutdown = CancellationToken::new();
    let metrics = ChainMetrics::detached().expect("metrics");
    let mut config = setup.config(0);
    config.bump_after = Duration::from_millis(300);
    config.metrics = Some(metrics.clone());
    let submitter = setup.start(config, &shutdown).await;

    let id = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let bumped = status_until(&submitter, id, |op| match &op.state {
        OperationState::Submitted(submission) => submission.attempts.len() >= 2,
        _ => false,
    })
    .await;
    let attempts = &submission(&bumped).attempts;
    let (first, second) = (&attempts[0], &attempts[1]);
    assert_ne!(first.hash, second.hash);
    for (old, new) in [
        (first.fees.max_fee_per_gas, second.fees.max_fee_per_gas),
        (
            first.fees.max_priority_fee_per_gas,
            second.fees.max_priority_fee_per_gas,
        ),
    ] {
        assert!(new * 8 >= old * 9 && new > old, "{old} -> {new}");
    }
    // The driver counts a bump just after recording it, so the count may trail the status.
    bounded(async {
        while metrics.fee_bump_count(DOMAIN) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
    let stored = submitter.status(id).await.expect("status");
    let Some(FinalState::Confirmed(_)) = stored.state.final_state() else {
        panic!("not confirmed: {stored:?}");
    };
    assert_ne!(inclusion.tx_hash, first.hash, "the replacement was mined");
    assert!(
        setup
            .chain
            .reader
            .get_transaction_receipt(first.hash)
            .await
            .expect("reads")
            .is_none(),
        "the original was replaced"
    );
    assert_eq!(setup.nonce_of(inclusion.tx_hash).await, 0);
    assert_eq!(setup.sent().await, 1);
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn retryable_revert_fails_once_its_time_is_up() {
    let setup = Setup::new().await;
    setup.set_rejecting(true).await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(0), &shutdown).await;

    let options = SubmitOptions {
        retry_reverts: true,
        retry_reverts_for: Some(Duration::from_millis(400)),
    };
    let id = submitter
        .submit_with("bounded", setup.handle(1), options)
        .await
        .expect("submits");
    let unbounded = SubmitOptions {
        retry_reverts_for: None,
        ..options
    };
    let reused = submitter
        .submit_with("bounded", setup.handle(1), unbounded)
        .await;
    assert!(
        matches!(reused, Err(SubmitError::KeyReused { existing, .. }) if existing == id),
        "the key is bound to its options too: {reused:?}"
    );
    let FinalState::Failed(FailureReason::Reverted { data }) =
        bounded(submitter.wait(id)).await.expect("waits")
    else {
        panic!("expected a revert in simulation");
    };
    assert!(!data.is_empty(), "the contract's error");
    assert_eq!(setup.sent().await, 0, "no transaction was sent");
    assert_eq!(setup.handled().await, U256::ZERO);
}

#[tokio::test]
async fn simulation_runs_against_the_pending_block() {
    let setup = Setup::new().await;
    setup.set_rejecting(true).await;
    let reader = &setup.chain.reader;
    reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    // Accepting again is only in the pool: the latest block still rejects.
    let pending = RecordingRecipient::new(setup.recipient, &setup.chain.wallet)
        .setRejecting(false)
        .send()
        .await
        .expect("sends");
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(0), &shutdown).await;

    let id = submitter
        .submit("after-the-pool", setup.handle(1))
        .await
        .expect("submits");
    let sent = status_until(&submitter, id, |op| op.state != OperationState::Queued).await;
    assert_eq!(submission(&sent).nonce, 0, "sent, not failed: {sent:?}");
    let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
    let accepting = reader
        .get_transaction_receipt(*pending.tx_hash())
        .await
        .expect("reads")
        .expect("mined");
    assert!(accepting.block_number <= Some(inclusion.block_number));
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn mined_transaction_dropped_by_a_reorg_is_broadcast_again_at_once() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let mut config = setup.config(2);
    // Only the reorg can send it again within the test's bound.
    config.bump_after = Duration::from_secs(3600);
    let submitter = setup.start(config, &shutdown).await;
    let before = setup.chain.snapshot().await;

    let id = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let sent = until_sent(&submitter, id).await;
    let hash = submission(&sent).attempts[0].hash;
    let reader = &setup.chain.reader;
    until_mined(reader, hash).await;
    // A round handles operations with a nonce before unsent ones: once this later call has
    // failed its simulation, the driver has seen the first transaction mined.
    let garbage = TransactionRequest::default()
        .to(setup.recipient)
        .input(Bytes::from_static(&[1, 2, 3, 4]).into());
    let probe = submitter.submit("probe", garbage).await.expect("submits");
    assert!(matches!(
        bounded(submitter.wait(probe)).await.expect("waits"),
        FinalState::Failed(FailureReason::Reverted { .. })
    ));

    setup.chain.revert(before).await;
    assert!(
        reader
            .get_transaction_receipt(hash)
            .await
            .expect("reads")
            .is_none(),
        "the reorg dropped it"
    );
    assert_eq!(setup.handled().await, U256::ZERO);
    // Automine: back in a block as soon as the node has it again.
    until_mined(reader, hash).await;

    let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
    assert_eq!(inclusion.tx_hash, hash, "the same signed transaction");
    assert_eq!(setup.nonce_of(hash).await, 0);
    assert_eq!(setup.sent().await, 1);
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn transaction_mined_and_dropped_between_two_rounds_is_broadcast_again_at_the_next() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let mut config = setup.config(2);
    // Rounds far apart, so the block comes and goes while the driver sleeps; and no fee bump
    // within the test's bound, so only the next round can send it again.
    config.poll_interval = Duration::from_secs(2);
    config.bump_after = Duration::from_secs(3600);
    let reader = &setup.chain.reader;
    reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    let before = setup.chain.snapshot().await;
    let submitter = setup.start(config, &shutdown).await;

    let id = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let sent = until_sent(&submitter, id).await;
    let hash = submission(&sent).attempts[0].hash;
    until_held(reader, hash).await;

    // Mined, then taken by a reorg at once: no round can have seen the receipt.
    setup.chain.mine(1).await;
    setup.chain.revert(before).await;
    assert!(
        reader
            .get_transaction_receipt(hash)
            .await
            .expect("reads")
            .is_none(),
        "the reorg dropped it"
    );

    until_held(reader, hash).await;
    let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
    assert_eq!(inclusion.tx_hash, hash, "the same signed transaction");
    assert_eq!(setup.nonce_of(hash).await, 0);
    assert_eq!(setup.sent().await, 1);
    assert_eq!(setup.handled().await, U256::from(1));
}

#[tokio::test]
async fn a_nonce_taken_by_a_reorg_deeper_than_the_confirmations_is_filled() {
    let setup = Setup::new().await;
    let shutdown = CancellationToken::new();
    let submitter = setup.start(setup.config(1), &shutdown).await;
    let before = setup.chain.snapshot().await;

    let first = submitter
        .submit("handle-1", setup.handle(1))
        .await
        .expect("submits");
    let taken = confirmed(mine_until_final(&setup, &submitter, first).await);
    assert_eq!(setup.nonce_of(taken.tx_hash).await, 0);

    // Deeper than the confirmations: the confirmed transaction, and its nonce, leave the chain.
    setup.chain.revert(before).await;
    assert_eq!(setup.sent().await, 0, "the reorg took nonce 0");

    let second = submitter
        .submit("handle-2", setup.handle(2))
        .await
        .expect("submits");
    let inclusion = confirmed(mine_until_final(&setup, &submitter, second).await);
    assert_eq!(setup.nonce_of(inclusion.tx_hash).await, 1, "the next nonce");
    assert_eq!(setup.sent().await, 2, "nonce 0 was filled");
    assert_eq!(
        setup.handled().await,
        U256::from(1),
        "the filler calls nothing; the first call's effect stays gone"
    );
}

#[tokio::test]
async fn pipelined_operations_keep_within_the_in_flight_limit_with_contiguous_nonces() {
    let setup = Setup::new().await;
    let reader = &setup.chain.reader;
    reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    let shutdown = CancellationToken::new();
    let config = setup
        .config(1)
        .with_parallel_simulations(4)
        .with_max_in_flight(Some(3));
    let submitter = setup.start(config, &shutdown).await;

    let mut ids = Vec::new();
    for nonce in 0..5 {
        let key = format!("handle-{nonce}");
        ids.push(
            submitter
                .submit(&key, setup.handle(nonce))
                .await
                .expect("submits"),
        );
    }
    // Three go out at once, all held by the node together while no block is mined.
    let mut held = Vec::new();
    for &id in &ids[..3] {
        let sent = until_sent(&submitter, id).await;
        held.push(submission(&sent).attempts[0].hash);
    }
    for &hash in &held {
        until_held(reader, hash).await;
    }
    two_more_rounds(&submitter).await;
    for &id in &ids[3..] {
        assert_eq!(
            submitter.status(id).await.expect("status").state,
            OperationState::Queued,
            "the limit holds the others back"
        );
    }

    let mut nonces = Vec::new();
    for id in ids {
        let inclusion = confirmed(mine_until_final(&setup, &submitter, id).await);
        nonces.push(setup.nonce_of(inclusion.tx_hash).await);
    }
    assert_eq!(nonces, [0, 1, 2, 3, 4]);
    assert_eq!(setup.sent().await, 5);
    assert_eq!(setup.handled().await, U256::from(5));
}
